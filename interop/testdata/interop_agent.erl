%% interop_agent: the Erlang side of gerl's interoperability tests. A node
%% started with -s interop_agent registers `agent`, prints "ready Node" on
%% stdout, and evaluates the Erlang expressions gerl sends it:
%%
%%   {eval, From, Ref, Code, Bindings}   Code: a string or binary of
%%                                       expressions ending with a dot;
%%                                       Bindings: [{Name, Value}], Name an
%%                                       atom ('From' is always bound to From)
%%   -> From ! {Ref, Value}              or {Ref, {'EXCEPTION', Class, Reason}}
%%
%% Each command runs in a process of its own, so a command may wait
%% (receive) without holding up the others; `agent` itself stays free.
%%
%% It also evaluates lines read on stdin, "Seq Code", printing
%% "result Seq Value" (on one line): what the node does on its own,
%% before any node has connected to it.
%% Helpers the expressions may call: interop_agent:recv(Timeout) returns
%% the next message or timeout, interop_agent:echo() loops sending every
%% {From, Msg} back as Msg, and interop_agent:flush() returns the mailbox.
-module(interop_agent).
-export([start/0, recv/1, echo/0, flush/0, gen_echo_start/0,
         init/1, handle_call/3, handle_cast/2, handle_info/2]).
-behaviour(gen_server).

start() ->
    Self = spawn(fun loop/0),
    register(agent, Self),
    spawn(fun stdin/0),
    io:format("ready ~s~n", [node()]).

stdin() ->
    case io:get_line('') of
        eof ->
            ok;
        Line ->
            {Seq, Code} = string:take(string:trim(Line), lists:seq($0, $9)),
            V = run(Code, []),
            Text = lists:flatten(io_lib:format("~tp", [V])),
            io:format("result ~s ~ts~n", [Seq, string:replace(Text, "\n", " ", all)]),
            stdin()
    end.

loop() ->
    receive
        {eval, From, Ref, Code, Bindings} ->
            spawn(fun() -> From ! {Ref, run(Code, [{'From', From} | Bindings])} end);
        _ ->
            ok
    end,
    loop().

run(Code, Bindings) ->
    try
        Text = unicode:characters_to_list(Code),
        {ok, Tokens, _} = erl_scan:string(Text),
        {ok, Exprs} = erl_parse:parse_exprs(Tokens),
        B = lists:foldl(fun({K, V}, Acc) -> erl_eval:add_binding(K, V, Acc) end,
                        erl_eval:new_bindings(), Bindings),
        {value, V, _} = erl_eval:exprs(Exprs, B),
        V
    catch Class:Reason ->
        {'EXCEPTION', Class, Reason}
    end.

recv(Timeout) ->
    receive M -> M after Timeout -> timeout end.

flush() ->
    receive M -> [M | flush()] after 0 -> [] end.

echo() ->
    receive
        {From, Msg} when is_pid(From) -> From ! Msg, echo();
        stop -> ok;
        _ -> echo()
    end.

%% A gen_server that answers every call with {echo, Request}.
gen_echo_start() ->
    gen_server:start({local, gen_echo}, ?MODULE, [], []).

init([]) -> {ok, []}.
handle_call(Req, _From, S) -> {reply, {echo, Req}, S}.
handle_cast(_Req, S) -> {noreply, S}.
handle_info(_Info, S) -> {noreply, S}.
