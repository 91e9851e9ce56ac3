%% The Erlang side of gerl's scaling workloads (bench/scaling.go): the same
%% measurements, in the same shape. gerl bench compiles this file with
%% gerl_groups.erl (whose result and JSON helpers it uses) and runs
%%
%%   erl -noshell -pa DIR -run gerl_scaling main WORKLOAD key=N ...
%%
%% which prints one JSON line per result, as gerl_groups does.
%%
%%   call_backlog      gen_server:call while the caller's mailbox holds
%%                     `backlog` other messages: us_per_call
%%   selective_newest  receive the newest of `backlog` queued messages:
%%                     us_per_receive
%%   million           `n` idle processes (run with +P above n), twice:
%%                     us_per_spawn, bytes_per_proc, kill_all_ms (warm_*)
%%   million_hibernated the same with processes that wait hibernated
%%                     (erlang:hibernate/3)
%%   remote_fanout     `senders` processes on peer A, each to its own
%%                     receiver on peer B, `n` {Seq, <<64 bytes>>} in all:
%%                     msgs_per_s
%%   mesh_scale        `k` peers connect to the first at one instant:
%%                     mesh_ms; then the last halts at once: nodedown_ms
%%                     (until every other peer has its nodedown)
-module(gerl_scaling).
-behaviour(gen_server).

-export([main/1]).
%% gen_server callbacks (call_backlog's server).
-export([init/1, handle_call/3, handle_cast/2]).
%% Run inside the peers.
-export([hibernated/0]).
-export([fanout/3, fan_sink/2, mesh_agent_start/4, mesh_agent_result/0,
         watch_down_start/1, watch_down_result/0]).
%% Used by gerl_closure.erl.
-export([start_peers/2]).

-define(CALL_TIMEOUT, 300000).
-define(PAYLOAD, <<0:512>>). % 64 bytes

main(Args) -> gerl_groups:main_with(fun run/2, Args).

%% --- workloads ---

run(call_backlog, #{backlog := B, calls := C, reps := Reps} = Params) ->
    {ok, Srv} = gen_server:start(?MODULE, [], []),
    Samples = in_process(fun() -> call_backlog(Srv, B, C, Reps) end),
    gerl_groups:result(call_backlog, Params, Samples, gerl_groups:medians(Samples));
run(selective_newest, #{backlog := B, reps := Reps} = Params) ->
    Figures = in_process(fun() -> selective_newest(B, Reps) end),
    gerl_groups:result(selective_newest, Params, [], Figures);
run(million, Params) ->
    million(million, fun() -> receive stop -> ok end end, Params);
run(million_hibernated, Params) ->
    million(million_hibernated, fun() -> erlang:hibernate(?MODULE, hibernated, []) end, Params);
run(remote_fanout, #{senders := S, n := N, reps := Reps} = Params) ->
    Peers = start_peers("f", 2),
    [{A, _}, {_, NodeB}] = Peers,
    true = gerl_groups:call(A, net_kernel, connect_node, [NodeB]),
    All = [gerl_groups:call(A, ?MODULE, fanout, [NodeB, S, N div S]) || _ <- lists:seq(0, Reps)],
    gerl_groups:stop_peers(Peers),
    Samples = tl(All), % the first is a warm-up
    gerl_groups:result(remote_fanout, Params, Samples, gerl_groups:medians(Samples));
run(mesh_scale, #{k := K, reps := Reps} = Params) ->
    Quiet = maps:get(quiet_ms, Params, 1500),
    Samples = [mesh_scale_once(K, Rep, Quiet) || Rep <- lists:seq(1, Reps)],
    gerl_groups:result(mesh_scale, Params, Samples, gerl_groups:medians(Samples)).

million(Name, Body, #{n := N} = Params) ->
    Figures = in_process(fun() ->
                                 Cold = spawn_pass(N, Body),
                                 Warm = spawn_pass(N, Body),
                                 maps:merge(Cold, maps:from_list([{warm(K), V} || {K, V} <- maps:to_list(Warm)]))
                         end),
    gerl_groups:result(Name, Params#{process_limit => erlang:system_info(process_limit)}, [], Figures).

%% hibernated is where million_hibernated's processes wake.
hibernated() -> receive stop -> ok end.

warm(K) -> list_to_atom("warm_" ++ atom_to_list(K)).

%% in_process runs F in a fresh process (a mailbox and heap of its own) and
%% returns its result.
in_process(F) ->
    Self = self(),
    Pid = spawn(fun() -> Self ! {self(), F()} end),
    receive {Pid, R} -> R end.

%% --- call_backlog ---

init([]) -> {ok, nostate}.
handle_call(Req, _From, S) -> {reply, Req, S}.
handle_cast(_, S) -> {noreply, S}.

call_backlog(Srv, B, C, Reps) ->
    [self() ! {noise, I} || I <- lists:seq(1, B)],
    All = [begin
               T0 = erlang:monotonic_time(nanosecond),
               ok = calls(Srv, 1, C),
               #{us_per_call => (erlang:monotonic_time(nanosecond) - T0) / 1000 / C}
           end || _ <- lists:seq(0, Reps)],
    {message_queue_len, B} = process_info(self(), message_queue_len),
    tl(All). % the first is a warm-up

calls(_, I, C) when I > C -> ok;
calls(Srv, I, C) ->
    I = gen_server:call(Srv, I, infinity),
    calls(Srv, I + 1, C).

%% --- selective_newest ---

selective_newest(B, Reps) ->
    [self() ! {seq, I} || I <- lists:seq(1, B)],
    Ds = newest(B, 0, Reps, []),
    {message_queue_len, B} = process_info(self(), message_queue_len),
    Total = lists:sum(Ds),
    #{us_per_receive => Total / 1000 / Reps,
      median_us => gerl_groups:median(Ds) / 1000,
      ns_per_message_run => Total / Reps / B}.

%% newest takes {seq, Want}, the newest message, Reps + 1 times (the first
%% untimed), sending a new newest after each.
newest(_, Rep, Reps, Acc) when Rep > Reps -> Acc;
newest(Want, Rep, Reps, Acc) ->
    T0 = erlang:monotonic_time(nanosecond),
    receive {seq, Want} -> ok end,
    D = erlang:monotonic_time(nanosecond) - T0,
    self() ! {seq, Want + 1},
    newest(Want + 1, Rep + 1, Reps, case Rep of 0 -> Acc; _ -> [D | Acc] end).

%% --- million ---

spawn_pass(N, Body) ->
    erlang:garbage_collect(),
    PC0 = erlang:system_info(process_count),
    M0 = erlang:memory(processes),
    {memory, S0} = process_info(self(), memory),
    T0 = erlang:monotonic_time(nanosecond),
    Pids = spawn_n(N, Body, []),
    T1 = erlang:monotonic_time(nanosecond),
    wait_idle(),
    T2 = erlang:monotonic_time(nanosecond),
    M1 = erlang:memory(processes),
    {memory, S1} = process_info(self(), memory),
    K0 = erlang:monotonic_time(nanosecond),
    lists:foreach(fun(P) -> exit(P, kill) end, Pids),
    wait_count(PC0),
    K1 = erlang:monotonic_time(nanosecond),
    #{us_per_spawn => (T1 - T0) / 1000 / N,
      us_per_spawn_ready => (T2 - T0) / 1000 / N,
      %% the spawner's own memory (it holds the pid list) excluded
      bytes_per_proc => ((M1 - S1) - (M0 - S0)) / N,
      kill_all_ms => (K1 - K0) / 1.0e6}.

spawn_n(0, _, Acc) -> Acc;
spawn_n(N, Body, Acc) -> spawn_n(N - 1, Body, [spawn(Body) | Acc]).

%% wait_idle returns once every run queue is empty: every process spawned
%% has run into its receive.
wait_idle() ->
    case erlang:statistics(total_run_queue_lengths_all) of
        0 -> ok;
        _ -> timer:sleep(1), wait_idle()
    end.

wait_count(PC) ->
    case erlang:system_info(process_count) of
        C when C =< PC -> ok;
        _ -> timer:sleep(1), wait_count(PC)
    end.

%% --- remote_fanout (on peer A) ---

fanout(NodeB, S, Per) ->
    Self = self(),
    Sinks = [spawn(NodeB, ?MODULE, fan_sink, [Self, Per]) || _ <- lists:seq(1, S)],
    Payload = ?PAYLOAD,
    Senders = [spawn(fun() ->
                             Self ! {ready, self()},
                             receive go -> ok end,
                             send_seq(Sink, 1, Per, Payload)
                     end) || Sink <- Sinks],
    [receive {ready, P} -> ok end || P <- Senders],
    T0 = erlang:monotonic_time(nanosecond),
    [P ! go || P <- Senders],
    [receive {done, true} -> ok end || _ <- Sinks],
    T = erlang:monotonic_time(nanosecond) - T0,
    #{msgs_per_s => S * Per / (T / 1.0e9), elapsed_ms => T / 1.0e6}.

send_seq(_, I, Per, _) when I > Per -> ok;
send_seq(Sink, I, Per, Payload) ->
    Sink ! {I, Payload},
    send_seq(Sink, I + 1, Per, Payload).

fan_sink(From, Per) -> fan_sink(From, 1, Per, true).

fan_sink(From, I, Per, Ok) when I > Per -> From ! {done, Ok};
fan_sink(From, I, Per, Ok) ->
    receive {Seq, Bin} -> fan_sink(From, I + 1, Per, Ok andalso Seq =:= I andalso byte_size(Bin) =:= 64) end.

%% --- mesh_scale ---

mesh_scale_once(K, Rep, Quiet) ->
    Peers = start_peers("m" ++ integer_to_list(Rep) ++ "_", K),
    try
        [{_, First} | _] = Peers,
        Tstart = os:system_time(microsecond) + 300000 + K * 20000,
        [ok = gerl_groups:call(P, ?MODULE, mesh_agent_start,
                               [K - 1, Tstart, case N of First -> none; _ -> First end, Quiet])
         || {P, N} <- Peers],
        Res = [gerl_groups:call(P, ?MODULE, mesh_agent_result, []) || {P, _} <- Peers],
        Reached = [R || #{reached_us := R} <- Res],
        length(Reached) =:= K orelse error({mesh_not_formed, Res}),
        {Watchers, [{V, Victim}]} = lists:split(K - 1, Peers),
        [ok = gerl_groups:call(P, ?MODULE, watch_down_start, [Victim]) || {P, _} <- Watchers],
        T0 = os:system_time(microsecond),
        peer:cast(V, erlang, halt, [0, [{flush, false}]]),
        Downs = [gerl_groups:call(P, ?MODULE, watch_down_result, []) || {P, _} <- Watchers],
        #{mesh_ms => (lists:max(Reached) - Tstart) / 1000,
          nodedowns => lists:sum([D || #{nodedowns := D} <- Res]),
          nodedown_ms => (lists:max(Downs) - T0) / 1000}
    after
        [catch peer:stop(P) || {P, _} <- Peers]
    end.

%% mesh_agent_start starts the agent on a mesh node and returns once it
%% watches node events. At Tstart it connects to First (unless it is
%% First), and notes the last time it came to see Expect nodes; it is done
%% when no node event came for Quiet ms after that.
mesh_agent_start(Expect, Tstart, First, Quiet) ->
    Self = self(),
    Pid = spawn(fun() ->
                        ok = net_kernel:monitor_nodes(true),
                        Self ! {agent_ready, self()},
                        sleep_until(Tstart),
                        case First of
                            none -> ok;
                            _ -> true = net_kernel:connect_node(First)
                        end,
                        R = mesh_wait(Expect, Quiet, undefined, 0,
                                      erlang:monotonic_time(millisecond) + 60000),
                        receive {get, From} -> From ! {agent_result, R} end
                end),
    register(gerl_mesh_agent, Pid),
    receive {agent_ready, Pid} -> ok end.

mesh_wait(Expect, Quiet, Reached, Downs, Deadline) ->
    Full = length(nodes()) >= Expect,
    Reached1 = case {Full, Reached} of
                   {true, undefined} -> os:system_time(microsecond);
                   {true, _} -> Reached;
                   {false, _} -> undefined
               end,
    Wait = case Full of
               true -> Quiet;
               false -> max(0, Deadline - erlang:monotonic_time(millisecond))
           end,
    receive
        {nodeup, _} -> mesh_wait(Expect, Quiet, Reached1, Downs, Deadline);
        {nodedown, _} -> mesh_wait(Expect, Quiet, Reached1, Downs + 1, Deadline)
    after Wait ->
            case Full of
                true -> #{reached_us => Reached1, nodedowns => Downs};
                false -> #{nodedowns => Downs, nodes => length(nodes())}
            end
    end.

mesh_agent_result() ->
    gerl_mesh_agent ! {get, self()},
    receive {agent_result, R} -> R end.

sleep_until(T) ->
    case T - os:system_time(microsecond) of
        D when D > 1000 -> timer:sleep(D div 1000), sleep_until(T);
        D when D > 0 -> sleep_until(T);
        _ -> ok
    end.

%% watch_down_start starts a process that waits for Node's nodedown;
%% watch_down_result returns the Unix time (µs) it came.
watch_down_start(Node) ->
    Self = self(),
    Pid = spawn(fun() ->
                        ok = net_kernel:monitor_nodes(true),
                        true = lists:member(Node, nodes()),
                        Self ! {watching, self()},
                        receive {nodedown, Node} -> ok end,
                        At = os:system_time(microsecond),
                        receive {get, From} -> From ! {down_at, At} end
                end),
    register(gerl_down_watch, Pid),
    receive {watching, Pid} -> ok end.

watch_down_result() ->
    gerl_down_watch ! {get, self()},
    receive {down_at, At} -> At end.

%% --- peers ---

start_peers(Tag, K) ->
    Dir = filename:dirname(code:which(?MODULE)),
    Base = "gs" ++ os:getpid() ++ "_" ++ Tag,
    [begin
         Name = list_to_atom(Base ++ integer_to_list(I)),
         {ok, P, N} = peer:start(#{name => Name, host => "127.0.0.1", longnames => true,
                                   connection => standard_io,
                                   args => ["-setcookie", "benchcookie", "-pa", Dir,
                                            "-kernel", "inet_dist_use_interface", "{127,0,0,1}"]}),
         {P, N}
     end || I <- lists:seq(1, K)].
