// The target that owns the suites' precompiled header (tests/CMakeLists.txt):
// built with a suite's flags, never run. Its main() is TestMain.cpp's.
