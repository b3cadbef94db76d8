"""The C RNG equals numpy's legacy RandomState for several seeds and streams."""
import os, subprocess, sys
import numpy as np

drv = os.path.join(os.environ["MMFUSE_BUILD"], "tests", "core", "drv_rng")
fails = 0
for seed in (0, 1, 42, 12345, 4294967295):
    out = subprocess.run([drv, str(seed)], check=True, capture_output=True, text=True).stdout.split("\n")
    rs = np.random.RandomState(seed)
    u = [int(x) for x in out[0].split()]
    exp_u = list(rs.randint(0, 2**32, size=0))  # no-op keeps stream untouched
    rs = np.random.RandomState(seed)
    exp_d = rs.random_sample(5)
    got_d = np.array([float(x) for x in out[1].split()])
    exp_g = rs.standard_normal(7)
    got_g = np.array([float(x) for x in out[2].split()])
    perm = rs.permutation(37)
    got_p = np.array([int(x) for x in out[3].split()])
    ints = rs.randint(0, 1000, size=9)
    got_i = np.array([int(x) for x in out[4].split()])
    for name, a, b in (("double", got_d, exp_d), ("gauss", got_g, exp_g)):
        if not np.array_equal(a, b):
            print(f"seed {seed}: {name} differs: {a} vs {b}"); fails += 1
    if not np.array_equal(got_p, perm):
        print(f"seed {seed}: permutation differs"); fails += 1
    if not np.array_equal(got_i, ints):
        print(f"seed {seed}: randint differs {got_i} vs {ints}"); fails += 1
print(f"{0 if fails else 1} passed, {fails} failed")
sys.exit(1 if fails else 0)
