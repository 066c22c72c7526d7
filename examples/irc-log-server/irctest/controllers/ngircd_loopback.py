"""irctest's ngircd controller, bound to 127.0.0.1 and dying with pytest.

irctest's own port helper binds every interface and hands out 0.0.0.0, which ngircd would
then listen on; this subclass gives it 127.0.0.1 ports instead.
"""

from typing import Any, Sequence, Type, Union
from pathlib import Path
import subprocess

from irctest.controllers.ngircd import NgircdController

from logcaster import LoopbackPortsMixin, new_session_dying_with_parent


class NgircdLoopbackController(LoopbackPortsMixin, NgircdController):
    def execute(self, command: Sequence[Union[str, Path]], proc_name: Any = None, **kwargs: Any) -> subprocess.Popen:
        kwargs.setdefault("preexec_fn", new_session_dying_with_parent)
        return super().execute(command, proc_name, **kwargs)


def get_irctest_controller_class() -> Type[NgircdLoopbackController]:
    return NgircdLoopbackController
