#include <stdio.h>

int main(void) {
	puts("small, from keel");
	return 0;
}
