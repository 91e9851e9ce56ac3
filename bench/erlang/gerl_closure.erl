%% The Erlang side of "What shipping a closure costs" (docs/performance.md):
%% what a fun costs to spawn and to call on another node, against a
%% function by name, on two Erlang nodes on loopback (peers A and B, as
%% gerl's two nodes a and b). gerl bench compiles this file with
%% gerl_groups.erl and gerl_scaling.erl (whose result, JSON and peer
%% helpers it uses) and runs
%%
%%   erl -noshell -pa DIR -run gerl_closure main ship_closure n=N warmup=W rounds=R
%%
%% which prints one JSON line, as gerl_groups does. Each of the R rounds
%% times every operation in turn, inside A: the median, in µs, of n calls
%% timed one by one after `warmup` untimed ones (a sample); a figure is the
%% median of the rounds'. Each spawn sends one message back (spawn, then
%% receive). The keys are gerl's (bench/closure.go):
%%
%%   remote_prompt_fun_us  spawn(B, F), F the shell's fun() -> Me ! 1 end:
%%                         made by erl_eval from its source, as the shell
%%                         makes it; it travels with its abstract code and
%%                         bindings, and B runs it in erl_eval (gerl's
%%                         closures typed at the prompt travel as source)
%%   remote_module_fun_us  spawn(B, F), F = fun() -> Me ! 1 end compiled in
%%                         this module (travels as a reference to the
%%                         module's code and its captured values)
%%   remote_mfa_us         spawn(B, gerl_closure, ping, [Me])
%%   local_*_us            the same three spawned on A
%%   rpc_prompt_fun_us     rpc:call(B, erlang, apply, [F, []]), F the
%%                         shell's fun() -> 1 end
%%   rpc_module_fun_us     the same with the compiled fun() -> 1 end
%%   rpc_mfa_us            rpc:call(B, string, uppercase, ["a"])
%%   erpc_module_fun_us, erpc_mfa_us   the last two with erpc:call
-module(gerl_closure).

-export([main/1]).
%% Run inside peer A; ping is spawned by name on both.
-export([measure/3, ping/1]).

-define(CALL_TIMEOUT, 600000).

main(Args) -> gerl_groups:main_with(fun run/2, Args).

run(ship_closure, #{n := N, warmup := W, rounds := R} = Params) ->
    Peers = gerl_scaling:start_peers("c", 2),
    [{A, _}, {_, NodeB}] = Peers,
    true = gerl_groups:call(A, net_kernel, connect_node, [NodeB]),
    Samples = [gerl_groups:call(A, ?MODULE, measure, [NodeB, N, W]) || _ <- lists:seq(1, R)],
    gerl_groups:stop_peers(Peers),
    gerl_groups:result(ship_closure, Params, Samples, gerl_groups:medians(Samples)).

%% ping is the function spawned by name: bm.Ping's twin.
ping(To) -> To ! 1.

%% measure times each operation against node B, on the node it runs on:
%% one round.
measure(B, N, W) ->
    Me = self(),
    Local = node(),
    Fun = fun() -> Me ! 1 end,
    ShellFun = shell_fun("fun() -> Me ! 1 end.", [{'Me', Me}]),
    One = fun() -> 1 end,
    ShellOne = shell_fun("fun() -> 1 end.", []),
    Spawn = fun(Node, F) -> fun() -> spawn(Node, F), receive 1 -> ok end end end,
    SpawnMFA = fun(Node) -> fun() -> spawn(Node, ?MODULE, ping, [Me]), receive 1 -> ok end end end,
    Ops = [{remote_prompt_fun_us, Spawn(B, ShellFun)},
           {remote_module_fun_us, Spawn(B, Fun)},
           {remote_mfa_us, SpawnMFA(B)},
           {local_prompt_fun_us, Spawn(Local, ShellFun)},
           {local_module_fun_us, Spawn(Local, Fun)},
           {local_mfa_us, SpawnMFA(Local)},
           {rpc_prompt_fun_us, fun() -> 1 = rpc:call(B, erlang, apply, [ShellOne, []]) end},
           {rpc_module_fun_us, fun() -> 1 = rpc:call(B, erlang, apply, [One, []]) end},
           {rpc_mfa_us, fun() -> "A" = rpc:call(B, string, uppercase, ["a"]) end},
           {erpc_module_fun_us, fun() -> 1 = erpc:call(B, One) end},
           {erpc_mfa_us, fun() -> "A" = erpc:call(B, string, uppercase, ["a"]) end}],
    maps:from_list([{Key, median_us(Op, N, W)} || {Key, Op} <- Ops]).

%% shell_fun evaluates Src with Bindings as the shell does: the fun it
%% returns is erl_eval's, carrying its abstract code.
shell_fun(Src, Bindings) ->
    {ok, Tokens, _} = erl_scan:string(Src),
    {ok, [Expr]} = erl_parse:parse_exprs(Tokens),
    Bs = lists:foldl(fun({K, V}, Acc) -> erl_eval:add_binding(K, V, Acc) end, erl_eval:new_bindings(), Bindings),
    {value, F, _} = erl_eval:expr(Expr, Bs),
    F.

median_us(Op, N, W) ->
    [Op() || _ <- lists:seq(1, W)],
    Ts = [begin
              T0 = erlang:monotonic_time(),
              Op(),
              erlang:convert_time_unit(erlang:monotonic_time() - T0, native, nanosecond)
          end || _ <- lists:seq(1, N)],
    gerl_groups:median(Ts) / 1000.
