import sys, time; sys.path.insert(0,'.')
import numpy as np, rung
from benchmarks.problems.synthetic import PROBLEMS
from rung.searchers import TPESearch
def run(prob, searcher, seed):
    p=PROBLEMS[prob]
    searcher.setup(p.space, metric='loss', mode='min', rng=np.random.default_rng(seed))
    best=np.inf
    for i in range(100):
        c=searcher.suggest(str(i)); y=p.loss(c); best=min(best,y)
        searcher.on_trial_complete(str(i), {'loss':y})
    return best-p.optimum
for prob in PROBLEMS:
    for name, mk in [('random', lambda: rung.searchers.RandomSearch()), ('tpe-mv', lambda: TPESearch()), ('tpe-uv', lambda: TPESearch(multivariate=False))]:
        t=time.time(); r=[run(prob, mk(), s) for s in range(5)]
        print(prob, name, np.median(r).round(4), round((time.time()-t)/5,3))
