"""From a photo to compared people: detect → crop → model → body model → camera → measure.

    result = analyse(image, PipelineOptions(methods=("hmr", "hybrik", "spin_gta", "fit")))
    views = render_views(result)

Every method sees the same person: one box per person (detected, or given by the user) feeds HMR,
SPIN-GTA and HybrIK (each cropped at its own size) and the keypoint fit. All coordinates are pixels of
the processing image (`result.image.rgb`; huge photos are downscaled, see `core.image_io`) and every
mesh is placed in one camera `result.K`, so overlays and errors are comparable between methods.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from core import joints as joint_sets
from core.body_models import BodyModel
from core.body_models.load import describe_body_model
from core.evaluation.metrics import KeypointErrors2D, keypoint_errors_2d, method_joint_distances
from core.geometry import DEFAULT_FOV_DEG, image_intrinsics, project
from core.image_io import LoadedImage, load_image
from core.methods import FIT, METHOD_IDS, NETWORK_METHODS
from core.networks.checkpoint import CheckpointError
from core.pipeline.detect import NO_PERSON_MESSAGE, Person, detect_people, person_from_box, track_person
from core.pipeline.estimate import MeshPrediction
from core.pipeline.fit import FitConfig, FitInit, FitPerson, fit_people, prepare_fit
from core.pipeline.inference import MissingCheckpointError, checkpoint_of, default_body_model, predict
from core.render.colors import method_label
from core.threads import single_threaded

REFINED_SUFFIX = "+fit"  # "hmr+fit": HMR refined with the keypoint fit, as SPIN refines with SMPLify

# The keypoint fit runs here while the networks run: it is hundreds of small operations on one thread, and
# ONNX Runtime's threads leave the other core partly idle meanwhile (docs/bench: the group photo's analysis).
_fitting = ThreadPoolExecutor(max_workers=4, thread_name_prefix="hmrc-fit")


@dataclass
class PipelineOptions:
    methods: tuple[str, ...] = METHOD_IDS
    fov_deg: float | None = None  # diagonal field of view of the photo's camera; None: EXIF's, else DEFAULT_FOV_DEG
    refine_with_keypoints: bool = False  # also refine each network's output with the keypoint fit
    boxes: list | None = None  # user boxes (x0, y0, x1, y1, processing pixels): replace detection
    follow: Person | None = None  # video: the previous frame's person, read again where they were (no detection)
    found: list[Person] | None = None  # video: people already found and followed in this frame (no detection)
    people: list[int] | None = None  # which detected people to reconstruct (indices, left to right); None = all
    max_people: int = 10
    min_score: float = 0.5
    body_model: str = "auto"  # 'auto' (SMPL if present, else the open model), 'smpl' or 'open'
    errors_2d: bool = True  # measure each method against MediaPipe's landmarks (the live view shows none)
    fit: FitConfig = field(default_factory=FitConfig)


def person_label(index: int) -> str:
    """People are numbered from 1 wherever they are named, left to right (index 0 → 'Person 1'); files and
    parameters keep the 0-based index."""
    return f"Person {index + 1}"


def person_index(label: str | None) -> int | None:
    """'Person 3' → 2; None or '' → None."""
    if not label:
        return None
    return int(str(label).split()[-1]) - 1


@dataclass
class PersonResult:
    index: int  # position among the detected people, left to right
    person: Person  # box, MediaPipe landmarks (pixels) and world landmarks (metres)
    predictions: dict[str, MeshPrediction] = field(default_factory=dict)
    errors_2d: dict[str, KeypointErrors2D] = field(default_factory=dict)  # vs MediaPipe, per method

    @property
    def box_height(self) -> float:
        return float(self.person.box[3] - self.person.box[1])


@dataclass
class ImageResult:
    image: LoadedImage
    K: np.ndarray  # (3, 3) intrinsics of the processing image shared by every method
    people: list[PersonResult]
    detected: list[Person]  # everyone found (the person picker), even those not reconstructed
    methods: tuple[str, ...]  # methods that ran, in display order (refined ones included)
    unavailable: dict[str, str]  # method → why it did not run and how to fix it
    timings: dict[str, float]  # stage → seconds
    body_model: BodyModel
    message: str = ""  # non-empty when nobody was reconstructed, saying what to try
    fov_deg: float = DEFAULT_FOV_DEG  # the diagonal field of view K was made from
    fov_source: str = "default"  # 'given', 'EXIF' or 'default'

    @property
    def body_model_description(self) -> str:
        return describe_body_model(self.body_model)

    @property
    def custom_methods(self) -> frozenset[str]:
        """Networks that ran with the user's own checkpoint (core.checkpoints), not the official one."""
        return frozenset(
            method
            for person in self.people
            for method, prediction in person.predictions.items()
            if getattr(checkpoint_of(prediction), "custom", False)
        )

    def label(self, method: str) -> str:
        """The method's display name in this result: 'HMR', 'HMR (custom)', 'HMR (custom) + Fit'."""
        return method_label(method, self.custom_methods)


def analyse(image, options: PipelineOptions = PipelineOptions()) -> ImageResult:
    """Run the chosen methods on every chosen person of `image` (path, bytes, PIL image, array or LoadedImage)."""
    _check_methods(options.methods)
    timings: dict[str, float] = {}
    loaded = image if isinstance(image, LoadedImage) else _timed(timings, "decode", load_image, image)
    fov_deg, fov_source = camera_fov(loaded, options.fov_deg)
    options = replace(options, fov_deg=fov_deg)
    body_model = _timed(timings, "body model", default_body_model, options.body_model)
    detected, message = _timed(timings, "detection", find_people, loaded, options)
    chosen = [i for i in range(len(detected)) if options.people is None or i in options.people]
    people = [PersonResult(index=i, person=detected[i]) for i in chosen]
    K = image_intrinsics(loaded.size, options.fov_deg).numpy()
    unavailable: dict[str, str] = {}
    if people:
        fitting = None
        if FIT in options.methods:
            fitting = _fitting.submit(_timed, timings, "keypoint fit", _fit, people, body_model, K, options.fit)
        _run_networks(loaded.rgb, people, options, body_model, timings, unavailable)
        if fitting is not None:
            for person, prediction in zip(people, fitting.result()):
                person.predictions[FIT] = prediction
        if options.refine_with_keypoints:
            _timed(timings, "refinement", _refine, people, body_model, K, options.fit)
        if options.errors_2d:
            _timed(timings, "errors", _measure, people, body_model)
    elif detected:
        message = "No person selected: pick at least one of the detected people."
    methods = _methods_that_ran(options, people)
    return ImageResult(
        loaded, K, people, detected, methods, unavailable, timings, body_model, message, fov_deg, fov_source
    )


def warm_up(methods: tuple[str, ...] = METHOD_IDS, body_model: str = "auto") -> dict[str, float]:
    """Load what a first request needs before it comes (the app does this in the background at start-up): the
    body model, the landmark models, and each network whose checkpoint is present (its ONNX graph read from
    beside the checkpoint), run once. Missing and refused checkpoints are skipped: the request says why and what to do.
    Returns seconds per part."""
    from core.pipeline.detect import pose_models
    from core.pipeline.inference import get_model

    seconds: dict[str, float] = {}
    model = _timed(seconds, "body model", default_body_model, body_model)
    if FIT in methods:
        _timed(seconds, "keypoint fit", prepare_fit, model)
    _timed(seconds, "detection", pose_models)
    for method in (m for m in NETWORK_METHODS if m in methods):
        try:
            network = _timed(seconds, method, get_model, method, model)
        except (MissingCheckpointError, CheckpointError):
            continue
        size = network.input_spec.size
        with torch.inference_mode():
            _timed(
                seconds, method, network.predict, np.zeros((size, size, 3), np.uint8), np.array([[0, 0, size, size]])
            )
    return seconds


def camera_fov(image: LoadedImage, fov_deg: float | None) -> tuple[float, str]:
    """(diagonal field of view in degrees, its source): the one given, else the photo's EXIF, else the default."""
    if fov_deg is not None:
        return float(fov_deg), "given"
    if image.exif_fov_deg is not None:
        return image.exif_fov_deg, "EXIF"
    return DEFAULT_FOV_DEG, "default"


def disagreement_matrix(person: PersonResult, methods: tuple[str, ...]) -> np.ndarray:
    """(M, M) mean per-joint distance (mm) between two methods' 24 joints after Procrustes alignment."""
    matrix = np.full((len(methods), len(methods)), np.nan)
    for a, name_a in enumerate(methods):
        for b, name_b in enumerate(methods):
            if name_a in person.predictions and name_b in person.predictions:
                joints_a, joints_b = person.predictions[name_a].joints, person.predictions[name_b].joints
                matrix[a, b] = 1000.0 * method_joint_distances(joints_a, joints_b).mean()
    return matrix


# --- stages ----------------------------------------------------------------------------------------


def find_people(image: LoadedImage, options: PipelineOptions) -> tuple[list[Person], str]:
    """Who `analyse` reconstructs in `image` (processing pixels): the people in the user's boxes, the ones given
    (`options.found`), the followed person read again, or else those detected; and a message when there are none."""
    rgb = image.rgb
    if options.boxes:
        people = [person_from_box(rgb, np.asarray(box, np.float32)) for box in options.boxes]
        found = [p for p in people if p is not None]
        missing = len(people) - len(found)
        return found, (
            f"No body found inside {missing} of the drawn boxes: draw them around a whole person." if missing else ""
        )
    if options.found is not None:
        return list(options.found), "" if options.found else NO_PERSON_MESSAGE
    if options.follow is not None:
        followed = track_person(rgb, options.follow)
        if followed is not None:
            return [followed], ""
    detection = detect_people(rgb, max_people=options.max_people, min_score=options.min_score)
    return detection.people, detection.message


def _run_networks(rgb, people, options, body_model, timings, unavailable) -> None:
    boxes = np.stack([p.person.box for p in people]).astype(np.float32)
    for method in (m for m in NETWORK_METHODS if m in options.methods):
        try:
            start = time.perf_counter()
            predictions = predict(rgb, boxes, methods=[method], body_model=body_model, fov_deg=options.fov_deg)
            timings[method] = time.perf_counter() - start
        except (MissingCheckpointError, CheckpointError) as error:  # missing, refused by its hash, or unreadable
            unavailable[method] = str(error)
            continue
        for person, prediction in zip(people, predictions[method]):
            person.predictions[method] = prediction


def _fit(people: list[PersonResult], body_model: BodyModel, K: np.ndarray, config: FitConfig) -> list[MeshPrediction]:
    """The keypoint fit of everyone, one prediction per person (the caller stores them, so the networks' and the
    fit's predictions are stored in one order however the two overlap)."""
    results = fit_people(body_model, [_fit_input(person) for person in people], K, config)
    started_from = "IK on MediaPipe world landmarks"
    return [
        _fit_prediction(person, result, body_model, K, FIT, started_from) for person, result in zip(people, results)
    ]


def _refine(people: list[PersonResult], body_model: BodyModel, K: np.ndarray, config: FitConfig) -> None:
    for method in NETWORK_METHODS:
        chosen = [person for person in people if method in person.predictions]
        inits = [
            FitInit(rotmats=start.rotmats, betas=start.betas, transl=start.cam_t)
            for start in (person.predictions[method] for person in chosen)
        ]
        inputs = [_fit_input(person, init) for person, init in zip(chosen, inits)]
        for person, result in zip(chosen, fit_people(body_model, inputs, K, config)):
            person.predictions[method + REFINED_SUFFIX] = _fit_prediction(
                person, result, body_model, K, method + REFINED_SUFFIX, method
            )


def _fit_input(person: PersonResult, init: FitInit | None = None) -> FitPerson:
    detection = person.person
    return FitPerson(
        detection.landmarks[:, :2], detection.visibility, detection.world_landmarks, person.box_height, init
    )


def _fit_prediction(person: PersonResult, result, body_model, K, method: str, started_from: str) -> MeshPrediction:
    vertices = result.vertices - result.transl
    joints = result.joints - result.transl
    joints_h36m = None
    with single_threaded():
        if "h36m_17" in body_model.regressor_names:
            joints_h36m = body_model.regress(torch.as_tensor(vertices)[None], "h36m_17")[0].numpy()
        keypoints_2d = project(torch.as_tensor(result.joints)[None], torch.as_tensor(K, dtype=torch.float32))[0]
    rotmats = _rotmats(result.global_orient, result.body_pose)
    return MeshPrediction(
        method=method,
        rotmats=rotmats,
        pose_aa=np.concatenate([result.global_orient[None], result.body_pose]),
        betas=result.betas,
        vertices=vertices,
        joints=joints,
        joints_h36m=joints_h36m,
        cam_t=result.transl,
        K=np.asarray(K, np.float32),
        keypoints_2d=keypoints_2d.numpy(),
        box=person.person.box.copy(),
        extras={"reprojection_px": result.reprojection_px, "fit_seconds": result.seconds, "started_from": started_from},
    )


def _measure(people: list[PersonResult], body_model: BodyModel) -> None:
    """Per-joint 2D error of every method against the MediaPipe landmarks (the joints both skeletons share)."""
    with single_threaded():
        for person in people:
            _measure_person(person, body_model)


def _measure_person(person: PersonResult, body_model: BodyModel) -> None:
    detection = person.person
    for method, prediction in person.predictions.items():
        points = _mediapipe_points(body_model, prediction)
        pixels = project(torch.as_tensor(points + prediction.cam_t)[None], torch.as_tensor(prediction.K))[0]
        if "crop_K" in prediction.extras:  # HMR/SPIN: their own crop camera places the joints exactly
            pixels = _hmr_pixels(points, prediction)
        person.errors_2d[method] = keypoint_errors_2d(
            pixels.numpy() if torch.is_tensor(pixels) else pixels,
            detection.landmarks[:, :2],
            detection.visibility >= 0.5,
            person.box_height,
            joint_sets.MEDIAPIPE_33,
        )


# --- helpers ---------------------------------------------------------------------------------------


def _mediapipe_points(body_model: BodyModel, prediction: MeshPrediction) -> np.ndarray:
    """The method's body posed again to read its 33 MediaPipe points (model frame)."""
    rotmats = torch.as_tensor(prediction.rotmats, dtype=torch.float32)[None]
    betas = torch.as_tensor(prediction.betas, dtype=torch.float32)[None]
    with torch.no_grad():
        output = body_model(betas, rotmats[:, :1], rotmats[:, 1:])
        return joint_sets.keypoints(body_model, output, "mediapipe_33")[0].numpy()


def _hmr_pixels(points: np.ndarray, prediction: MeshPrediction) -> np.ndarray:
    crop_K = torch.as_tensor(prediction.extras["crop_K"], dtype=torch.float32)
    crop_t = torch.as_tensor(prediction.extras["crop_cam_t"], dtype=torch.float32)
    return project(torch.as_tensor(points)[None] + crop_t, crop_K)[0].numpy()


def _rotmats(global_orient: np.ndarray, body_pose: np.ndarray) -> np.ndarray:
    from core.geometry import aa_to_rotmat

    pose = torch.as_tensor(np.concatenate([global_orient[None], body_pose]), dtype=torch.float32)
    return aa_to_rotmat(pose).numpy()


def _methods_that_ran(options: PipelineOptions, people: list[PersonResult]) -> tuple[str, ...]:
    ran = {method for person in people for method in person.predictions}
    order = list(options.methods) + [m + REFINED_SUFFIX for m in NETWORK_METHODS]
    return tuple(m for m in order if m in ran)


def _check_methods(methods) -> None:
    unknown = [m for m in methods if m not in METHOD_IDS]
    if unknown:
        raise ValueError(f"unknown methods {unknown}; choose from {list(METHOD_IDS)}")


def _timed(timings: dict, stage: str, function, *args):
    start = time.perf_counter()
    result = function(*args)
    timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start
    return result
