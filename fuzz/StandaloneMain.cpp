//
// StandaloneMain.cpp
//
// Replays fuzz inputs without libFuzzer: every file named on the command
// line, or every file in a folder named there, through LLVMFuzzerTestOneInput.
// A crash or abort fails the run; the closing line counts the inputs.
//
#include <cstdint>
#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <sys/stat.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

static void collect(const std::string& path, std::vector<std::string>& files)
{
	struct stat st{};
	if (::stat(path.c_str(), &st) != 0) return;
	if (S_ISDIR(st.st_mode))
	{
		if (DIR* dir = ::opendir(path.c_str()))
		{
			while (dirent* entry = ::readdir(dir))
			{
				std::string name = entry->d_name;
				if (name != "." && name != "..") collect(path + "/" + name, files);
			}
			::closedir(dir);
		}
	}
	else files.push_back(path);
}

int main(int argc, char** argv)
{
	std::vector<std::string> files;
	for (int i = 1; i < argc; ++i) collect(argv[i], files);
	if (files.empty())
	{
		std::cerr << "no inputs" << std::endl;
		return 2;
	}
	for (const auto& file : files)
	{
		std::ifstream in(file, std::ios::binary);
		std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
		LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
	}
	std::cout << files.size() << " passed, 0 failed" << std::endl;
	return 0;
}
