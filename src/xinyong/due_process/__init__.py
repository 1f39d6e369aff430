"""Due process: the subject's own file and who looked at it, objections, credit repair and notices.

Services take the store, the catalog and the clock, and write each change with its audit entry (and the
message telling the subject) in one unit of work. Entry points call `xinyong.screening.publish` after a
change, so platforms' change feed carries withdrawals and repairs.
"""

from xinyong.due_process import disclosure, notices, objections, repairs, subject_files
from xinyong.due_process.disclosure import VIEWS, View
from xinyong.due_process.lookup import Actor

__all__ = ["VIEWS", "Actor", "View", "disclosure", "notices", "objections", "repairs", "subject_files"]
