-module(hib).
-export([main/0, hpong/0, pong/0]).
hpong() -> receive {From, M} -> From ! M, erlang:hibernate(?MODULE, hpong, []) end.
pong() -> receive {From, M} -> From ! M, pong() end.
run(P, N) ->
    T0 = erlang:monotonic_time(nanosecond),
    lists:foreach(fun(I) -> P ! {self(), I}, receive I -> ok end end, lists:seq(1, N)),
    (erlang:monotonic_time(nanosecond) - T0) / N.
main() ->
    N = 200000,
    [begin
        A = run(spawn(?MODULE, pong, []), N),
        B = run(spawn(?MODULE, hpong, []), N),
        io:format("plain ~.3f ns  hibernating ~.3f ns~n", [A, B])
     end || _ <- [1,2,3]],
    halt().
