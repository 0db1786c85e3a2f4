// Boost.JSON compiled into the fuzz targets themselves (header-only mode),
// so they need no library built with another compiler or sanitizer.
#include <boost/json/src.hpp>
