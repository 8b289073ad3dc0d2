# damo: the user-space tool for DAMON (the kernel's data access monitor).
#
# Built from the sdist on PyPI. The hash was computed here from the file pip downloaded
# (`pip download damo==3.4.3 --no-deps --no-binary :all:`, sha256
# 2bfbf89603bf3f270f099e9acb32652c85ed6fe4ec1e4b71606c128be2d792cb). nixpkgs has no damo.
{
  lib,
  python3Packages,
}:

python3Packages.buildPythonApplication rec {
  pname = "damo";
  version = "3.4.3";
  pyproject = true;

  src = python3Packages.fetchPypi {
    inherit pname version;
    hash = "sha256-K/v4lgO/PycPCZ6ayzJlLIXtb+TsHktxYGwSi+LXkss=";
  };

  # setup.py declares a console script damo = damo.damo:main and no dependencies.
  build-system = [ python3Packages.setuptools ];

  # No test suite ships in the sdist; check at least that the entry point imports.
  pythonImportsCheck = [ "damo" ];

  meta = {
    description = "User-space tool for DAMON, the Linux data access monitor";
    homepage = "https://github.com/damonitor/damo";
    license = lib.licenses.gpl2Only;
    platforms = lib.platforms.linux;
    mainProgram = "damo";
  };
}
