import sys; sys.path.insert(0,'.')
import numpy as np, rung
from scipy.stats import spearmanr
from benchmarks.problems.lcbench import LCBench, DEFAULT_PATH
for t in ['7593','167168','189873']:
    p=LCBench(t, DEFAULT_PATH); sp=rung.Space(p.space); rng=np.random.default_rng(0)
    cs=[sp.sample(rng) for _ in range(300)]
    A=np.array([[p(c,i)[0][p.metric] for i in range(1,53)] for c in cs])
    best=A.max(1)
    print(t, [round(spearmanr(A[:,e-1],best)[0],2) for e in (2,6,18)], 'top-10 final:', np.sort(best)[-10:].round(1), 'share of top decile that is in top third at ep2/6:', [np.mean(np.argsort(np.argsort(-A[:,e-1]))[np.argsort(-best)[:30]]<100) for e in (2,6,18)])
