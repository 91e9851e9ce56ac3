#!/bin/bash
# 9 alternating rounds: gerl before (25cdc31), after (parker), Erlang; local_pingpong.
cd .
for r in $(seq 1 ${1:-9}); do
  echo "round $r start $(date -u +%T) $(cut -d' ' -f1-3 /proc/loadavg)" >> progress
  /tmp/q28/old/gerl bench local_pingpong >> before.jsonl 2>>err.log
  /tmp/q28/new/gerl bench local_pingpong go_floor >> after.jsonl 2>>err.log
  (cd /tmp/erlb && erl -noshell -pa ebin -run erlbench main local_pingpong) >> erlang.jsonl 2>>err.log
done
echo "done $(date -u +%T)" >> progress
