import sys; sys.path.insert(0,'.')
import numpy as np, rung
from benchmarks.problems.lcbench import LCBench, DEFAULT_PATH
t=sys.argv[1]
p=LCBench(t, DEFAULT_PATH); sp=rung.Space(p.space); rng=np.random.default_rng(0)
cs=[sp.sample(rng) for _ in range(3000)]
A=np.array([[p(c,i)[0][p.metric] for i in range(1,53)] for c in cs])
C=np.array([[p(c,i)[1] for i in range(1,53)] for c in cs]).sum(1)
best=A.max(1)
order=np.argsort(-best)[:10]
for e in (2,6,18):
    r=np.argsort(np.argsort(-A[:,e-1]))
    print(e, 'ranks of top10 final', r[order], 'quantile', (r[order]/len(cs)).round(2))
print('best', best[order].round(2), 'cost', C[order].round(0), 'median cost', np.median(C))
