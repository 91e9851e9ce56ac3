import json, statistics, sys
d = sys.argv[1] if len(sys.argv) > 1 else '/tmp/q28/r9'
def rd(f, name='local_pingpong'):
    return [x for x in (json.loads(l) for l in open(f'{d}/{f}')) if x.get('name')==name]
o=rd('before.jsonl'); n=rd('after.jsonl'); e=rd('erlang.jsonl'); fl=rd('after.jsonl','go_floor')
rows=[]
for i,(a,b,c,f) in enumerate(zip(o,n,e,fl)):
    r=dict(before=a['mean_rtt_us'], after=b['mean_rtt_us'], erl=c['mean_rtt_us'], chan=f['chan_rtt_us'], tup=f['chan_tuple_rtt_us'])
    r['after/erl']=r['after']/r['erl']; r['before/erl']=r['before']/r['erl']; r['after/before']=r['after']/r['before']; r['tup/erl']=r['tup']/r['erl']; r['after/tup']=r['after']/r['tup']
    rows.append(r)
    print(i+1, '  '.join(f'{k} {v:.3f}' for k,v in r.items()))
for k in rows[0]:
    v=[r[k] for r in rows]
    print(f'{k:14s} median {statistics.median(v):.3f}  min {min(v):.3f} max {max(v):.3f}  ' + (f'<=0.9 in {sum(x<=0.9 for x in v)}' if '/' in k else ''))
