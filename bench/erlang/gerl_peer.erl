%% gerl_peer: an Erlang node that takes the commands of gerl-bench's peers
%% (bench/remote_peer.go) on its standard input, so that the remote
%% workloads run with Erlang nodes in place of gerl nodes: gerl <-> erl and
%% erl <-> erl, in the same run as gerl <-> gerl. Started as
%%
%%   erl -noshell -name N@127.0.0.1 -setcookie C -pa DIR -s gerl_peer start
%%
%% it prints "ready N@127.0.0.1", then answers each line:
%%
%%   pong_server               register pong: {ping, From, I} -> From ! {pong, I}
%%   sink_server               register sink (remote_throughput's receiver)
%%   ping NODE                 net_adm:ping: ok {"ms": F}
%%   pingpong NODE N WARMUP    N timed round trips to {pong, NODE}: ok {stats}
%%   throughput NODE N         N {Seq, <<64 bytes>>} to sink's pid: ok {stats}
%%   quit                      ok, and halt (so does the end of input)
%%
%% The figures have the keys and the clocks of the Go peer's.
-module(gerl_peer).
-export([start/0]).

start() ->
    io:format("ready ~s~n", [node()]),
    loop().

loop() ->
    case io:get_line('') of
        eof ->
            halt(0);
        Line ->
            case string:lexemes(string:trim(Line), " ") of
                ["quit"] ->
                    io:format("ok~n"),
                    halt(0);
                [] ->
                    loop();
                Cmd ->
                    try command(Cmd) of
                        ok -> io:format("ok~n");
                        {ok, Figures} -> io:format("ok ~s~n", [json(Figures)]);
                        {error, Why} -> io:format("error ~p~n", [Why])
                    catch
                        C:R -> io:format("error ~p:~p~n", [C, R])
                    end,
                    loop()
            end
    end.

command(["pong_server"]) ->
    register(pong, spawn(fun pong/0)),
    ok;
command(["sink_server"]) ->
    register(sink, spawn(fun sink/0)),
    ok;
command(["ping", Node]) ->
    T0 = erlang:monotonic_time(),
    case net_adm:ping(list_to_atom(Node)) of
        pong -> {ok, [{ms, ms(erlang:monotonic_time() - T0)}]};
        pang -> {error, pang}
    end;
command(["pingpong", Node, N, Warmup]) ->
    pingpong(list_to_atom(Node), list_to_integer(N), list_to_integer(Warmup));
command(["throughput", Node, N]) ->
    throughput(list_to_atom(Node), list_to_integer(N));
command(Cmd) ->
    {error, {unknown_command, Cmd}}.

pong() ->
    receive
        {ping, From, I} -> From ! {pong, I};
        _ -> ok
    end,
    pong().

sink() ->
    receive
        {expect, From, N} ->
            From ! {ready, self()},
            From ! {done, sink(1, N, 0, true)};
        _ ->
            ok
    end,
    sink().

sink(I, N, Bytes, InOrder) when I > N ->
    {N, Bytes, InOrder};
sink(I, N, Bytes, InOrder) ->
    receive
        {Seq, Bin} -> sink(I + 1, N, Bytes + byte_size(Bin), InOrder andalso Seq =:= I)
    end.

pingpong(Node, N, Warmup) ->
    To = {pong, Node},
    [begin To ! {ping, self(), I}, receive {pong, I} -> ok end end || I <- lists:seq(-Warmup, -1)],
    T0 = erlang:monotonic_time(),
    Rtts = [begin
                Ta = erlang:monotonic_time(),
                To ! {ping, self(), I},
                receive {pong, I} -> ok end,
                erlang:monotonic_time() - Ta
            end || I <- lists:seq(0, N - 1)],
    Elapsed = erlang:monotonic_time() - T0,
    Sorted = list_to_tuple(lists:sort(Rtts)),
    {ok, [{rtt_mean_us, us(lists:sum(Rtts)) / N},
          {rtt_p50_us, us(percentile(Sorted, 50))},
          {rtt_p99_us, us(percentile(Sorted, 99))},
          {rtt_min_us, us(element(1, Sorted))},
          {rtt_max_us, us(element(N, Sorted))},
          {roundtrips_per_s, N / (us(Elapsed) / 1.0e6)}]}.

%% percentile: the nearest-rank percentile of a sorted tuple, as the Go
%% peer's (internal/stats.Percentile).
percentile(Sorted, P) ->
    N = tuple_size(Sorted),
    K = max(1, min(N, ceil(P * N / 100))),
    element(K, Sorted).

throughput(Node, N) ->
    {sink, Node} ! {expect, self(), N},
    receive {ready, Sink} -> ok after 10000 -> Sink = exit(sink_not_ready) end,
    Payload = list_to_binary(lists:seq(0, 63)),
    T0 = erlang:monotonic_time(),
    send(Sink, 1, N, Payload),
    receive
        {done, {N, Bytes, true}} when Bytes =:= 64 * N ->
            Secs = us(erlang:monotonic_time() - T0) / 1.0e6,
            {ok, [{msgs_per_s, N / Secs}, {payload_mb_per_s, N * 64 / Secs / 1.0e6}]};
        {done, Stats} ->
            {error, {sink_reports, Stats}}
    after 120000 ->
        {error, sink_did_not_finish}
    end.

send(_Sink, I, N, _Payload) when I > N ->
    ok;
send(Sink, I, N, Payload) ->
    Sink ! {I, Payload},
    send(Sink, I + 1, N, Payload).

us(Native) -> erlang:convert_time_unit(Native, native, nanosecond) / 1000.
ms(Native) -> erlang:convert_time_unit(Native, native, nanosecond) / 1.0e6.

json(Figures) ->
    ["{", lists:join(",", [io_lib:format("\"~s\":~w", [K, float(V)]) || {K, V} <- Figures]), "}"].
