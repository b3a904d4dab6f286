"""Space start-up: SMPL from a private dataset (a fake hub) or a mirror (a local HTTP server), never fatal."""

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app import space
from core import settings, weights


@pytest.fixture
def fake_hub(tmp_path, monkeypatch):
    """hf_hub_download over a folder of datasets; records what was asked, with which token."""
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    hub, calls = tmp_path / "hub", []

    def hf_hub_download(repo_id, filename, repo_type=None, token=None):
        calls.append((repo_id, filename, repo_type, token))
        path = hub / repo_id / filename
        if not path.is_file():
            raise LocalEntryNotFoundError(f"{filename} is not in {repo_id}")
        return str(path)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", hf_hub_download)
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    monkeypatch.delenv(settings.WEIGHTS_BASE_URL, raising=False)
    return hub, calls


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A local HTTP server serving the files of a folder by name, set as HMRC_WEIGHTS_BASE_URL."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    monkeypatch.setenv(settings.WEIGHTS_BASE_URL, f"http://127.0.0.1:{httpd.server_address[1]}/")
    monkeypatch.delenv(settings.SMPL_DATASET, raising=False)
    yield folder
    httpd.shutdown()
    httpd.server_close()


def test_smpl_comes_from_the_owners_private_dataset(fake_hub, monkeypatch):
    hub, calls = fake_hub
    (hub / "me/smpl" / "smpl").mkdir(parents=True)
    (hub / "me/smpl" / "smpl" / "SMPL_NEUTRAL.pkl").write_bytes(b"neutral")  # under smpl/
    (hub / "me/smpl" / "SMPL_MALE.pkl").write_bytes(b"male")  # at the top level
    monkeypatch.setenv(settings.SMPL_DATASET, "me/smpl")
    assert not weights.smpl_neutral_present()
    assert space.fetch_smpl() == []  # the neutral model is what the app needs; the female one is optional
    assert weights.FILES["SMPL_NEUTRAL.pkl"].path.read_bytes() == b"neutral"
    assert weights.FILES["SMPL_MALE.pkl"].path.read_bytes() == b"male"
    assert not weights.FILES["SMPL_FEMALE.pkl"].path.exists()
    assert {(repo, kind, token) for repo, _, kind, token in calls} == {("me/smpl", "dataset", "hf_secret")}


def test_dataset_without_smpl_is_reported_not_fatal(fake_hub, monkeypatch):
    monkeypatch.setenv(settings.SMPL_DATASET, "me/empty")
    problems = space.fetch_smpl()
    assert len(problems) == 3 and all("me/empty" in line and "HF_TOKEN" in line for line in problems)
    assert "LocalEntryNotFoundError" in problems[0]
    assert not weights.smpl_neutral_present()


def test_smpl_comes_from_a_mirror_only_once_the_licence_is_accepted(mirror, monkeypatch):
    (mirror / "SMPL_NEUTRAL.pkl").write_bytes(b"neutral from the mirror")
    monkeypatch.delenv(settings.ACCEPT_SMPL_LICENSE, raising=False)
    assert space.fetch_smpl() == [] and not weights.smpl_neutral_present()
    monkeypatch.setenv(settings.ACCEPT_SMPL_LICENSE, "1")
    assert space.fetch_smpl() == []  # the gendered files, not on this mirror, are optional
    assert weights.FILES["SMPL_NEUTRAL.pkl"].path.read_bytes() == b"neutral from the mirror"


def test_mirror_without_smpl_is_reported_not_fatal(mirror, monkeypatch):
    monkeypatch.setenv(settings.ACCEPT_SMPL_LICENSE, "1")
    problems = space.fetch_smpl()
    assert len(problems) == 3 and all(line.startswith("SMPL from the mirror") for line in problems)
    assert "SMPL_NEUTRAL.pkl" in problems[0] and not weights.smpl_neutral_present()


def test_start_up_lists_what_failed_and_goes_on(mirror, monkeypatch):
    monkeypatch.delenv(settings.SKIP_WEIGHTS, raising=False)
    monkeypatch.delenv(settings.ACCEPT_SMPL_LICENSE, raising=False)
    problems = space.prepare_space()  # the mirror holds no checkpoint
    assert [line.split(":")[0] for line in problems] == list(weights.METHOD_FILES)
    assert all("http://127.0.0.1" in line for line in problems)  # each line names the URL it tried
