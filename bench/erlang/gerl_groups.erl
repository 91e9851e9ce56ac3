%% The Erlang side of gerl's global and pg workloads (bench/groups.go):
%% the same measurements, on Erlang/OTP's global and pg, in the same shape
%% as gerl's (nodes are peers, separate VMs; every time is taken inside
%% them). gerl bench compiles this file and runs
%%
%%   erl -noshell -pa DIR -run gerl_groups main WORKLOAD key=N ...
%%
%% which prints one JSON line: the workload's result, in the shape of
%% gerl's results and of Erlang's harness (name, impl, otp, params,
%% figures, samples), or {"name":..., "error":...}.
-module(gerl_groups).

-export([main/1]).
%% Run inside the peers, by peer:call.
-export([global_register/1, global_lookup/2, global_unregister/1,
         pg_watch/1, pg_wait/1, pg_join/1, pg_subscribe/2, pg_count/1,
         pg_expect/1, pg_publish/2]).
%% Used by gerl_scaling.erl.
-export([main_with/2, json/1, result/4, medians/1, median/1, call/4, stop_peers/1]).

-define(CALL_TIMEOUT, 300000).

main(Args) -> main_with(fun run/2, Args).

%% main_with runs Run(Workload, Params) for the command line's
%% [Workload | "key=N"...], prints its JSON line and halts (gerl_scaling's
%% main too).
main_with(Run, [Workload | Args]) ->
    Params = maps:from_list([parse_kv(A) || A <- Args]),
    Name = list_to_atom(Workload),
    Line = try
               Run(Name, Params)
           catch
               Class:Reason:Stack ->
                   #{name => Name, impl => erlang, params => Params,
                     error => iolist_to_binary(io_lib:format("~p:~p ~p", [Class, Reason, Stack]))}
           end,
    io:put_chars([json(Line), "\n"]),
    halt(0).

parse_kv(S) ->
    [K, V] = string:split(S, "="),
    {list_to_atom(K), list_to_integer(V)}.

%% --- workloads ---

run(global_names, #{nodes := K, names := N, reps := Reps, lookup_rounds := R} = Params) ->
    Peers = start_mesh(K),
    [{P1, _}, {P2, _} | _] = Peers,
    Samples = [begin
                   Reg = call(P1, ?MODULE, global_register, [N]),
                   ok = call(P2, global, sync, []),
                   Look = call(P2, ?MODULE, global_lookup, [N, R]),
                   Found = N * R,
                   Found = maps:get(found, Look),
                   Unreg = call(P1, ?MODULE, global_unregister, [N]),
                   #{register_median_us => maps:get(median_us, Reg),
                     register_p99_us => maps:get(p99_us, Reg),
                     register_mean_us => maps:get(mean_us, Reg),
                     lookup_ns => maps:get(ns, Look),
                     unregister_mean_us => maps:get(mean_us, Unreg)}
               end || _ <- lists:seq(1, Reps)],
    stop_peers(Peers),
    result(global_names, Params, Samples, medians(Samples));
run(pg_converge, #{nodes := K, reps := Reps} = Params) ->
    Peers = start_mesh(K),
    All = [converge_once(Peers, K, Rep) || Rep <- lists:seq(0, Reps - 1)],
    Samples = case Reps of
                  1 -> All;
                  _ -> tl(All) % the first is a warm-up
              end,
    stop_peers(Peers),
    result(pg_converge, Params, Samples, spread(Samples, converge_ms, median_converge_ms));
run(pg_publish, #{nodes := K, subscribers := Subs, reps := Reps} = Params) ->
    Peers = start_mesh(K),
    [ok = call(P, ?MODULE, pg_subscribe, [news, Subs div K]) || {P, _} <- Peers],
    {P1, _} = hd(Peers),
    wait_count(P1, news, (Subs div K) * K, 600),
    All = [publish_once(Peers, Rep) || Rep <- lists:seq(0, Reps)],
    Samples = tl(All), % rep 0 is the warm-up
    stop_peers(Peers),
    result(pg_publish, Params, Samples, spread(Samples, publish_ms, median_publish_ms)).

converge_once(Peers, K, Rep) ->
    Group = list_to_atom("conv" ++ integer_to_list(Rep)),
    {Joiner, _} = lists:nth(Rep rem K + 1, Peers),
    Watchers = [{P, call(P, ?MODULE, pg_watch, [Group])} || {P, _} <- Peers, P =/= Joiner],
    Waits = async([fun() -> call(P, ?MODULE, pg_wait, [W]) end || {P, W} <- Watchers]),
    #{t0_ns := T0} = call(Joiner, ?MODULE, pg_join, [Group]),
    Last = lists:max([At || #{at_ns := At} <- collect(Waits)]),
    #{converge_ms => (Last - T0) / 1.0e6}.

publish_once([{P1, _} | Rest], Seq) ->
    Waits = async([fun() -> call(P, ?MODULE, pg_expect, [Seq]) end || {P, _} <- Rest]),
    #{t0_ns := T0, local_at_ns := Local, sent := Sent} = call(P1, ?MODULE, pg_publish, [news, Seq]),
    Last = lists:max([Local | [At || #{at_ns := At} <- collect(Waits)]]),
    #{publish_ms => (Last - T0) / 1.0e6, sent => Sent}.

wait_count(P, Group, Want, Tries) when Tries > 0 ->
    case call(P, ?MODULE, pg_count, [Group]) of
        Want -> ok;
        _ -> timer:sleep(10), wait_count(P, Group, Want, Tries - 1)
    end;
wait_count(_, Group, Want, _) ->
    error({subscribers_not_seen, Group, Want}).

%% --- peers ---

start_mesh(K) ->
    Dir = filename:dirname(code:which(?MODULE)),
    Tag = "gg" ++ os:getpid(),
    Peers = [begin
                 Name = list_to_atom(Tag ++ "_" ++ integer_to_list(I)),
                 {ok, P, N} = peer:start(#{name => Name, host => "127.0.0.1", longnames => true,
                                           connection => standard_io,
                                           args => ["-setcookie", "benchcookie", "-pa", Dir,
                                                    "-kernel", "start_pg", "true",
                                                    "-kernel", "inet_dist_use_interface", "{127,0,0,1}"]}),
                 {P, N}
             end || I <- lists:seq(1, K)],
    [{P1, _} | Rest] = Peers,
    [true = call(P1, net_kernel, connect_node, [N]) || {_, N} <- Rest],
    [wait_nodes(P, K - 1, 6000) || {P, _} <- Peers],
    [ok = call(P, global, sync, []) || {P, _} <- Peers],
    Peers.

wait_nodes(P, Want, Tries) when Tries > 0 ->
    case length(call(P, erlang, nodes, [])) of
        Want -> ok;
        _ -> timer:sleep(10), wait_nodes(P, Want, Tries - 1)
    end;
wait_nodes(_, Want, _) ->
    error({mesh_not_formed, Want}).

stop_peers(Peers) ->
    [peer:stop(P) || {P, _} <- Peers],
    ok.

call(P, M, F, A) -> peer:call(P, M, F, A, ?CALL_TIMEOUT).

async(Funs) ->
    Self = self(),
    [begin
         Ref = make_ref(),
         spawn_link(fun() -> Self ! {Ref, F()} end),
         Ref
     end || F <- Funs].

collect(Refs) ->
    [receive {Ref, V} -> V end || Ref <- Refs].

%% --- inside the peers ---

name(I) -> list_to_atom("bench_g" ++ integer_to_list(I)).

global_register(N) ->
    Ts = [begin
              Pid = spawn(fun() -> receive _ -> ok end end),
              Name = name(I),
              T0 = erlang:monotonic_time(nanosecond),
              yes = global:register_name(Name, Pid),
              erlang:monotonic_time(nanosecond) - T0
          end || I <- lists:seq(1, N)],
    S = lists:sort(Ts),
    #{median_us => pct(S, 50) / 1000, p99_us => pct(S, 99) / 1000, mean_us => lists:sum(S) / N / 1000}.

%% The names are made before the clock starts: the loop times lookups only.
global_lookup(N, Rounds) ->
    Names = [name(I) || I <- lists:seq(1, N)],
    T0 = erlang:monotonic_time(nanosecond),
    Found = lookup_rounds(Names, Rounds, 0),
    T = erlang:monotonic_time(nanosecond) - T0,
    #{ns => T / (N * Rounds), found => Found}.

lookup_rounds(_, 0, Found) -> Found;
lookup_rounds(Names, Rounds, Found) -> lookup_rounds(Names, Rounds - 1, lookup(Names, Found)).

lookup([], Found) -> Found;
lookup([Name | Rest], Found) ->
    case global:whereis_name(Name) of
        undefined -> lookup(Rest, Found);
        _ -> lookup(Rest, Found + 1)
    end.

global_unregister(N) ->
    Names = [name(I) || I <- lists:seq(1, N)],
    T0 = erlang:monotonic_time(nanosecond),
    [global:unregister_name(Name) || Name <- Names],
    #{mean_us => (erlang:monotonic_time(nanosecond) - T0) / N / 1000}.

%% pg_watch starts a process subscribed to Group's changes and returns it;
%% pg_wait(W) returns when W saw the first join.
pg_watch(Group) ->
    Self = self(),
    W = spawn(fun() ->
                      {Ref, _} = pg:monitor(Group),
                      Self ! {watching, self()},
                      receive {Ref, join, Group, _} -> ok end,
                      At = os:system_time(nanosecond),
                      receive {get, From} -> From ! {at, self(), At} end
              end),
    receive {watching, W} -> W end.

pg_wait(W) ->
    W ! {get, self()},
    receive {at, W, At} -> #{at_ns => At}
    after 60000 -> error(no_join)
    end.

pg_join(Group) ->
    Pid = spawn(fun() -> receive _ -> ok end end),
    T0 = os:system_time(nanosecond),
    ok = pg:join(Group, Pid),
    #{t0_ns => T0}.

%% pg_subscribe starts K subscribers of Group, which report each {seq, S}
%% they get to the node's collector, gerl_collector.
pg_subscribe(Group, K) ->
    C = spawn(fun() -> collector(K, #{}, #{}, []) end),
    register(gerl_collector, C),
    Pids = [spawn(fun() -> subscriber(C) end) || _ <- lists:seq(1, K)],
    ok = pg:join(Group, Pids).

subscriber(C) ->
    receive {seq, S} -> C ! {got, S} end,
    subscriber(C).

collector(K, Counts, Done, Waiting) ->
    receive
        {got, S} ->
            N = maps:get(S, Counts, 0) + 1,
            case N of
                K ->
                    At = os:system_time(nanosecond),
                    Waiting1 = [From ! {done, S, At} || {S1, From} <- Waiting, S1 =:= S],
                    _ = Waiting1,
                    collector(K, Counts#{S => N}, Done#{S => At}, [W || {S1, _} = W <- Waiting, S1 =/= S]);
                _ ->
                    collector(K, Counts#{S => N}, Done, Waiting)
            end;
        {expect, S, From} ->
            case Done of
                #{S := At} -> From ! {done, S, At}, collector(K, Counts, Done, Waiting);
                _ -> collector(K, Counts, Done, [{S, From} | Waiting])
            end
    end.

pg_count(Group) -> length(pg:get_members(Group)).

pg_expect(S) ->
    gerl_collector ! {expect, S, self()},
    receive {done, S, At} -> #{at_ns => At}
    after 60000 -> error({no_done, S})
    end.

pg_publish(Group, S) ->
    T0 = os:system_time(nanosecond),
    Members = pg:get_members(Group),
    [P ! {seq, S} || P <- Members],
    #{at_ns := At} = pg_expect(S),
    #{t0_ns => T0, local_at_ns => At, sent => length(Members)}.

%% --- results ---

pct(S, P) -> lists:nth(max(1, min(length(S), ceil(P * length(S) / 100))), S).

median([]) -> 0;
median(Vs) ->
    S = lists:sort(Vs),
    L = length(S),
    case L rem 2 of
        1 -> lists:nth(L div 2 + 1, S);
        0 -> (lists:nth(L div 2, S) + lists:nth(L div 2 + 1, S)) / 2
    end.

medians(Samples) ->
    Keys = lists:usort(lists:append([maps:keys(M) || M <- Samples])),
    maps:from_list([{K, median([V || #{K := V} <- Samples])} || K <- Keys]).

spread(Samples, Key, MedianKey) ->
    Vs = [V || #{Key := V} <- Samples],
    #{MedianKey => median(Vs), min_ms => lists:min(Vs), max_ms => lists:max(Vs)}.

result(Name, Params, Samples, Figures) ->
    maps:merge(Figures, #{name => Name, impl => erlang,
                          otp => list_to_binary(erlang:system_info(otp_release)),
                          params => Params, samples => Samples,
                          schedulers => erlang:system_info(schedulers_online)}).

%% --- a JSON encoder for the result's maps of atoms, numbers and binaries ---

json(M) when is_map(M) ->
    ["{", lists:join(",", [[json_key(K), ":", json(V)] || {K, V} <- lists:sort(maps:to_list(M))]), "}"];
json(L) when is_list(L) -> ["[", lists:join(",", [json(V) || V <- L]), "]"];
json(B) when is_binary(B) -> io_lib:format("~p", [binary_to_list(B)]);
json(A) when is_atom(A) -> ["\"", atom_to_list(A), "\""];
json(I) when is_integer(I) -> integer_to_list(I);
json(F) when is_float(F) -> float_to_list(F, [{decimals, 6}, compact]).

json_key(K) when is_atom(K) -> ["\"", atom_to_list(K), "\""];
json_key(K) -> json(K).
