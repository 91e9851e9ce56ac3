#!/bin/bash
cd /tmp/lpp3
for r in 1 2 3; do
  /tmp/old/gerl bench local_pingpong >> before.jsonl 2>>err.log
  /tmp/gerl bench local_pingpong go_floor >> after.jsonl 2>>err.log
  (cd /tmp/erlb && erl -noshell -pa ebin -run erlbench main local_pingpong) >> erlang.jsonl 2>>err.log
  echo "round $r done $(date +%T)" >> progress
done
