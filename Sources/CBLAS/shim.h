// OpenBLAS's cblas interface (Debian's libopenblas-dev installs it in the multiarch include path).
#include <cblas.h>
