# damo: the user-space tool for DAMON (the kernel's data access monitor).
#
# Built from the sdist on PyPI. The hash was computed here from the file pip downloaded
# (`pip download damo==3.4.3 --no-deps --no-binary :all:`, sha256
# 2bfbf89603bf3f270f099e9acb32652c85ed6fe4ec1e4b71606c128be2d792cb). nixpkgs has no damo.
#
# Two source layouts build: the sdist (pyproject.toml and setup.py at the top, the package
# in src/damo/) and a GitHub checkout, which `overrideAttrs { src = inputs.damo-src; }`
# brings (the modules flat in src/*.py, the packaging files in packaging/). postPatch turns
# a checkout into the sdist layout; an sdist is left as it is.
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

  postPatch = ''
    if [ ! -e src/damo/__init__.py ]; then
      if [ ! -e packaging/setup.py ] || [ ! -e packaging/pyproject.toml ]; then
        echo "damo: the source is neither an sdist (src/damo/) nor a checkout (packaging/setup.py)" >&2
        exit 1
      fi
      cp packaging/pyproject.toml packaging/setup.py .
      mkdir -p src/damo
      mv src/*.py src/damo/
      touch src/damo/__init__.py
    fi
  '';

  # pyproject.toml's build requirements: setuptools and wheel. setup.py declares the
  # console script damo = damo.damo:main and no runtime dependencies.
  build-system = [
    python3Packages.setuptools
    python3Packages.wheel
  ];

  # No test suite ships in the sdist (the checkout's need a DAMON kernel); check at least
  # that the package imports.
  pythonImportsCheck = [ "damo" ];

  meta = {
    description = "User-space tool for DAMON, the Linux data access monitor";
    homepage = "https://github.com/damonitor/damo";
    license = lib.licenses.gpl2Only;
    platforms = lib.platforms.linux;
    mainProgram = "damo";
  };
}
