#!/bin/bash
cd /tmp/q28
for r in $(seq 1 ${1:-3}); do
  ./old/gerl bench -pin none,same_cpu remote_pingpong >> rp-old.jsonl 2>>err.log
  ./new/gerl bench -pin none,same_cpu remote_pingpong >> rp-new.jsonl 2>>err.log
  (cd /tmp/erlb && erl -noshell -pa ebin -run erlbench main remote_pingpong pin=0 && erl -noshell -pa ebin -run erlbench main remote_pingpong pin=1) >> rp-erl.jsonl 2>>err.log
  echo "remote round $r done $(date +%T) $(uptime)" >> progress
done
