"""Joint jitter and identity switches."""

import numpy as np

from core.evaluation.temporal import identity_score, joint_jitter_mm


def test_jitter_is_zero_for_steady_motion_and_grows_with_noise():
    frames = np.arange(20, dtype=float)
    steady = np.zeros((20, 24, 3))
    steady[..., 0] = 0.01 * frames[:, None]  # 1 cm per frame, no acceleration
    found = np.ones(20, bool)
    assert joint_jitter_mm(steady, found) < 1e-9
    noisy = steady + np.random.default_rng(0).normal(0, 0.002, steady.shape)
    assert 3.0 < joint_jitter_mm(noisy, found) < 12.0  # 2 mm noise: |a| ≈ sqrt(6)·2·1.6 mm on average
    jumped = steady.copy()
    jumped[10] += 0.1
    found[10] = False  # a frame without the person is never used
    assert joint_jitter_mm(jumped, found) < 1e-9
    assert np.isnan(joint_jitter_mm(steady[:2], found[:2]))


def test_a_swap_between_two_people_counts_two_switches():
    a, b = np.array([0, 0, 10, 40.0]), np.array([50, 0, 60, 40.0])
    truth = [[a, b]] * 4
    reported = [{1: a, 2: b}, {1: a, 2: b}, {2: a, 1: b}, {2: a, 1: b}]
    score = identity_score(truth, reported)
    assert score.switches == 2 and score.identities == {0: [1, 2], 1: [2, 1]} and score.recall == 1.0
    score = identity_score([[a, None]], [{1: a, 7: b}])
    assert score.false == 1 and score.visible == 1 and score.matched == 1
