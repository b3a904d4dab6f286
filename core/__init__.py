"""hmr-compare core library: body models, HMR / HybrIK / SPIN-GTA, detection, fitting, rendering, metrics."""
