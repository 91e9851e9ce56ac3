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
%% {From, Msg} back as Msg, interop_agent:flush() returns the mailbox, and
%% interop_agent:roundtrip(Echo, N, Seed) sends N random terms to Echo
%% and checks that each comes back =:=.
-module(interop_agent).
-export([start/0, recv/1, echo/0, flush/0, gen_echo_start/0, roundtrip/3, random_term/1,
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

%% roundtrip sends N random terms (random_term/1, seeded with Seed) to
%% Echo as {self(), T} and checks each comes back =:= T: ok, or
%% {mismatch, Sent, Received}.
roundtrip(Echo, N, Seed) ->
    rand:seed(exsss, Seed),
    roundtrip(Echo, N).

roundtrip(_Echo, 0) ->
    ok;
roundtrip(Echo, N) ->
    T = random_term(4),
    Echo ! {self(), T},
    receive
        R when R =:= T -> roundtrip(Echo, N - 1);
        R -> {mismatch, T, R}
    after 5000 -> {lost, T}
    end.

random_term(0) ->
    leaf();
random_term(D) ->
    case rand:uniform(12) of
        1 -> list_to_tuple(some(D));
        2 -> some(D);
        3 -> maps:from_list([{random_term(D - 1), random_term(D - 1)} || _ <- lists:seq(1, rand:uniform(4) - 1)]);
        4 -> maps:from_list([{leaf(), random_term(D - 1)} || _ <- lists:seq(1, rand:uniform(4) - 1)]);
        5 -> [random_term(D - 1) | improper_tail()];
        6 -> [random_term(D - 1), random_term(D - 1) | improper_tail()];
        7 -> list_to_tuple([leaf() || _ <- lists:seq(1, 300)]);
        _ -> leaf()
    end.

some(D) -> [random_term(D - 1) || _ <- lists:seq(1, rand:uniform(5) - 1)].

improper_tail() ->
    case rand:uniform(3) of
        1 -> tail;
        2 -> <<"bin">>;
        3 -> {x}
    end.

leaf() ->
    case rand:uniform(30) of
        1 -> ok;
        2 -> '';
        3 -> 'Ünïcödé αβγ';
        4 -> list_to_atom(lists:duplicate(255, $x));
        5 -> list_to_atom([16#1F600 | lists:duplicate(254, $y)]);
        6 -> rand:uniform(256) - 1;
        7 -> -rand:uniform(1 bsl 31);
        8 -> rand:uniform(1 bsl 62);
        9 -> -(1 bsl 63);
        10 -> 1 bsl 64 + rand:uniform(1000);
        11 -> -(1 bsl 200) - rand:uniform(1000);
        12 -> rand:uniform();
        13 -> 1.0e300;
        14 -> <<>>;
        15 -> <<"some text">>;
        16 -> crypto_bytes(rand:uniform(40));
        17 -> <<(rand:uniform(255)), 1:3>>;
        18 -> "a charlist";
        19 -> [];
        20 -> [1000, 2000];
        21 -> self();
        22 -> make_ref();
        23 -> fun() -> ok end;
        24 -> fun lists:reverse/1;
        25 -> hd(erlang:ports());
        26 -> true;
        27 -> false;
        28 -> nil;
        29 -> undefined;
        30 -> erlang:alias()
    end.

crypto_bytes(N) -> list_to_binary([rand:uniform(256) - 1 || _ <- lists:seq(1, N)]).
