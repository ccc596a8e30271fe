#include <stdio.h>

int main(void) {
	puts("hello from keel");
	return 0;
}
