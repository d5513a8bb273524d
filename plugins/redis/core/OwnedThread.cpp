//
// OwnedThread.cpp
//
// Start once, join unless on itself, detach what is left.
//
#include "OwnedThread.h"

namespace eventbus {

OwnedThread::~OwnedThread()
{
	if (_thread.joinable())
		_thread.detach();
}

void OwnedThread::start(std::function<void()> body)
{
	if (_thread.joinable())
		return;
	_thread = std::thread(std::move(body));
	_id = _thread.get_id();
}

bool OwnedThread::started() const
{
	return _thread.joinable();
}

bool OwnedThread::isCurrent() const
{
	return std::this_thread::get_id() == _id;
}

void OwnedThread::join()
{
	if (_thread.joinable() && std::this_thread::get_id() != _id)
		_thread.join();
}

} // namespace eventbus
