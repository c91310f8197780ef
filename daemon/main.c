/* placeholder, replaced by the daemon's command line */
int main(void) { return 0; }
