#include <stdio.h>
int main(void)
{
    puts("gordon: under construction");
    return 0;
}
