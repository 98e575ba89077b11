"""The dev-container model of a repository (:mod:`.model`) and its readers: compose files
(:mod:`.compose`), devcontainer.json (:mod:`.devcontainer`) and the whole repository
(:func:`read_project`)."""

from __future__ import annotations

from devkit.doctor.project.devcontainer import workspace_of
from devkit.doctor.project.model import Build, DevContainer, Mount, Project
from devkit.doctor.project.repository import read_project

__all__ = ["Build", "DevContainer", "Mount", "Project", "read_project", "workspace_of"]
