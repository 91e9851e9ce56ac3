import json, statistics, collections, sys
d=sys.argv[1] if len(sys.argv)>1 else '/tmp/q28'
res=collections.defaultdict(list)
for f in ['old','new','erl']:
    for l in open(f'{d}/rp-{f}.jsonl'):
        x=json.loads(l)
        if x.get('name')!='remote_pingpong': continue
        pin=x['params'].get('pin')
        pin={0:'none','0':'none',1:'same_cpu','1':'same_cpu'}.get(pin,pin)
        res[(f,pin)].append((x['rtt_p50_us'], x['rtt_p99_us']))
for pin in ['none','same_cpu']:
    for f in ['old','new','erl']:
        v=res[(f,pin)]
        print(f'{pin:8s} {f:3s} p50 med {statistics.median([x[0] for x in v]):5.1f} [{min(x[0] for x in v):.1f}-{max(x[0] for x in v):.1f}]  p99 med {statistics.median([x[1] for x in v]):5.1f} [{min(x[1] for x in v):.1f}-{max(x[1] for x in v):.1f}]  n={len(v)}')
    for f in ['old','new']:
        r50=[a[0]/b[0] for a,b in zip(res[(f,pin)],res[('erl',pin)])]; r99=[a[1]/b[1] for a,b in zip(res[(f,pin)],res[('erl',pin)])]
        print(f'{pin:8s} {f}/erl p50 med {statistics.median(r50):.2f} [{min(r50):.2f}-{max(r50):.2f}]  p99 med {statistics.median(r99):.2f} [{min(r99):.2f}-{max(r99):.2f}]')
    r50=[a[0]/b[0] for a,b in zip(res[('new',pin)],res[('old',pin)])]
    print(f'{pin:8s} new/old p50 per round', [round(x,2) for x in r50])
