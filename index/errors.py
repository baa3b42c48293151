"""The errors index/ raises for users: each carries one line that says what to do."""

from .articles import CorpusError
from .build import BuildError
from .encoder import EncoderError
from .model_build import ModelBuildError
from .store import IndexProblem

USER_ERRORS = (CorpusError, BuildError, EncoderError, ModelBuildError, IndexProblem)
