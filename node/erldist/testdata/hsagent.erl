%% hsagent: the Erlang side of node/erldist's tests, a distributed node that
%% reports its connections. It prints "ready Node" once up, then a line per
%% event:
%%
%%   nodeup Node Type Visible Hidden     a connection came up (monitor_nodes)
%%   nodedown Node                       a connection went down
%%
%% and runs commands read from stdin, one per line:
%%
%%   connect Node  -> connect Node true|false   (net_kernel:connect_node/1)
%%   nodes         -> nodes Visible Hidden
-module(hsagent).
-export([main/0]).

main() ->
    ok = net_kernel:monitor_nodes(true, [{node_type, all}]),
    io:setopts(standard_io, [binary]),
    Self = self(),
    spawn_link(fun() -> read(Self) end),
    io:format("ready ~s~n", [node()]),
    loop().

read(Loop) ->
    case io:get_line('') of
        eof -> halt(0);
        Line -> Loop ! {line, string:trim(Line)}, read(Loop)
    end.

loop() ->
    receive
        {nodeup, N, Info} ->
            io:format("nodeup ~s ~s ~w ~w~n", [N, proplists:get_value(node_type, Info), nodes(visible), nodes(hidden)]);
        {nodedown, N, _} ->
            io:format("nodedown ~s~n", [N]);
        {line, <<"connect ", N/binary>>} ->
            io:format("connect ~s ~w~n", [N, net_kernel:connect_node(binary_to_atom(N))]);
        {line, <<"nodes">>} ->
            io:format("nodes ~w ~w~n", [nodes(visible), nodes(hidden)]);
        _ ->
            ok
    end,
    loop().
