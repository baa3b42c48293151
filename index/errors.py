"""The errors index/ raises for users: each carries one line that says what to do."""

from .articles import CorpusError
from .build import BuildError
from .encoder import EncoderError
from .filters import FilterError  # noqa: F401 -- a question's problems, re-exported for the CLI and the bot
from .model_build import ModelBuildError
from .question import NoContent, QuestionError  # noqa: F401
from .retraction import RetractionError
from .store import IndexProblem, NoIndex  # noqa: F401 -- NoIndex: no index yet (a greeting says so)

USER_ERRORS = (CorpusError, BuildError, EncoderError, ModelBuildError, IndexProblem, RetractionError)
