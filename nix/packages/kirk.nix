# kirk: the Linux Test Project's test executor (LTP removed its runltp script in favour of
# it). Runs LTP runtest suites from an installed LTP ($LTPROOT, default /opt/ltp) and writes
# a JSON report. nixpkgs has no kirk.
#
# Built from the sdist on PyPI. The hash was computed here from the file pip downloaded
# (`pip download kirk==4.2.0 --no-deps --no-binary :all:`, sha256
# 92007f840a2a0af387b6f0d88f51f5c710853238ff3bd9d2b91a34f731739c06).
{
  lib,
  python3Packages,
}:

python3Packages.buildPythonApplication rec {
  pname = "kirk";
  version = "4.2.0";
  pyproject = true;

  src = python3Packages.fetchPypi {
    inherit pname version;
    hash = "sha256-kgB/hAoqCvOHtvDYj1H1xxCFMjj/O9nSuRo09zFznAY=";
  };

  # pyproject.toml: setuptools only; the SSH and LTX channels' dependencies are optional
  # and not needed to run tests on the machine itself.
  build-system = [ python3Packages.setuptools ];

  pythonImportsCheck = [ "libkirk" ];

  meta = {
    description = "Linux Test Project tests executor";
    homepage = "https://github.com/linux-test-project/kirk";
    license = lib.licenses.gpl2Plus;
    platforms = lib.platforms.linux;
    mainProgram = "kirk";
  };
}
