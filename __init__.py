"""Not a package: the root of petra's source tree.

Python imports a folder named `petra` in the working directory before the installed package. When
this source tree is such a folder (a clone named `petra`) and Python starts in its parent folder,
`import petra` would find this folder instead of the package. This file turns that into a clear
error instead of an empty namespace package (see README, "From Python").
"""

import os as _os

if __name__ == "petra":  # not when a tool (pytest) imports this file under another name
    _here = _os.path.dirname(_os.path.abspath(__file__))
    raise ImportError(
        f"'import petra' found {_here}, petra's source tree, not the installed package: Python looks "
        f"in the working directory first. Start Python in another folder (for example inside {_here}), "
        f"or rename the clone.")
