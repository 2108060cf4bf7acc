import sys, time; sys.path.insert(0,'.')
import numpy as np, rung
from benchmarks.problems.synthetic import PROBLEMS
from rung.searchers import GPSearch
def run(prob, searcher, seed, n=100):
    p=PROBLEMS[prob]
    searcher.setup(p.space, metric='loss', mode='min', rng=np.random.default_rng(seed))
    best=np.inf
    for i in range(n):
        c=searcher.suggest(str(i)); y=p.loss(c); best=min(best,y)
        searcher.on_trial_complete(str(i), {'loss':y})
    return best-p.optimum
for prob in sys.argv[1].split(','):
    t=time.time(); r=[run(prob, GPSearch(), s) for s in range(int(sys.argv[2]))]
    print(prob, 'gp', np.median(r), np.round(r,4), round((time.time()-t)/len(r),2), flush=True)
