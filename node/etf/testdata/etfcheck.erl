%% etfcheck: the Erlang side of node/etf's tests. It reads one request per
%% line on stdin and answers each with one line on stdout, in order:
%%
%%   eval HexExpr        -> ok Hex          term_to_binary of the expression's value
%%   check HexExpr Hex   -> true | false Printed   binary_to_term(Hex) =:= the value
%%   same HexA HexB      -> true | false Printed   binary_to_term(A) =:= binary_to_term(B)
%%   echo Hex            -> ok Hex          term_to_binary(binary_to_term(Hex))
%%   gen Seed N          -> ok Hex          N random terms, one line each
%%
%% Failures answer "error Reason". Binaries are written with
%% term_to_binary(T, [{minor_version, 2}]): UTF-8 atoms, as OTP 26+ and the
%% distribution write them.
-module(etfcheck).
-export([main/0]).

main() ->
    io:setopts(standard_io, [binary]),
    loop().

loop() ->
    case io:get_line('') of
        eof -> halt(0);
        {error, _} -> halt(1);
        Line ->
            Words = string:lexemes(string:trim(Line), " "),
            try handle(Words) of
                Out -> io:put_chars([Out, $\n])
            catch C:R ->
                io:put_chars(["error ", io_lib:format("~0p", [{C, R}]), $\n])
            end,
            loop()
    end.

handle([<<"eval">>, Expr]) ->
    ["ok ", hex(enc(eval(unhex(Expr))))];
handle([<<"check">>, Expr, Bin]) ->
    Want = eval(unhex(Expr)),
    result(binary_to_term(unhex(Bin)), Want);
handle([<<"same">>, A, B]) ->
    result(binary_to_term(unhex(B)), binary_to_term(unhex(A)));
handle([<<"echo">>, Bin]) ->
    ["ok ", hex(enc(binary_to_term(unhex(Bin))))];
handle([<<"gen">>, Seed, N]) ->
    rand:seed(exsss, binary_to_integer(Seed)),
    lists:join($\n, [["ok ", hex(enc(gen(4)))] || _ <- lists:seq(1, binary_to_integer(N))]).

result(Got, Want) when Got =:= Want -> "true";
result(Got, Want) -> io_lib:format("false ~0p /= ~0p", [Got, Want]).

enc(T) -> term_to_binary(T, [{minor_version, 2}]).
hex(B) -> binary:encode_hex(B).
unhex(H) -> binary:decode_hex(H).

eval(Text) ->
    {ok, Toks, _} = erl_scan:string(unicode:characters_to_list(Text) ++ "."),
    {ok, Exprs} = erl_parse:parse_exprs(Toks),
    {value, V, _} = erl_eval:exprs(Exprs, []),
    V.

%% gen makes a random term of every kind a node sends, nested up to Depth.
gen(0) -> leaf();
gen(D) ->
    case rand:uniform(10) of
        1 -> list_to_tuple([gen(D - 1) || _ <- lists:seq(1, rand:uniform(4) - 1)]);
        2 -> [gen(D - 1) || _ <- lists:seq(1, rand:uniform(4) - 1)];
        3 -> maps:from_list([{gen(D - 1), gen(D - 1)} || _ <- lists:seq(1, rand:uniform(3) - 1)]);
        4 -> [gen(D - 1) | leaf()];
        5 -> #{{key, gen(D - 1)} => gen(D - 1), [x] => y};
        _ -> leaf()
    end.

leaf() ->
    Pick = element(rand:uniform(27), {
        fun() -> list_to_atom(lists:duplicate(rand:uniform(3), $a + rand:uniform(25))) end,
        fun() -> 'héllo wörld' end,
        fun() -> list_to_atom(lists:duplicate(255, $z)) end,
        fun() -> list_to_atom([16#1F600 | "smile"]) end,
        fun() -> rand:uniform(300) - 150 end,
        fun() -> rand:uniform(1 bsl 40) - (1 bsl 39) end,
        fun() -> (rand:uniform(1 bsl 200)) * (rand:uniform(3) - 2) end,
        fun() -> 1 bsl 63 end,
        fun() -> -(1 bsl 63) end,
        fun() -> rand:uniform() * 1.0e10 - 5.0e9 end,
        fun() -> -0.0 end,
        fun() -> rand:bytes(rand:uniform(8) - 1) end,
        fun() -> <<(rand:uniform(255)), (rand:uniform(7)):(rand:uniform(7))>> end,
        fun() -> "charlist" end,
        fun() -> [1, 2, 300] end,
        fun() -> [] end,
        fun() -> self() end,
        fun() -> make_ref() end,
        fun() -> alias() end,
        fun() -> fun(X) -> {X, self()} end end,
        fun() -> fun lists:reverse/1 end,
        fun() -> hd(erlang:ports()) end,
        fun() -> true end,
        fun() -> nil end,
        fun() -> undefined end,
        fun() -> <<"binary text">> end,
        fun() -> #{} end}),
    Pick().
