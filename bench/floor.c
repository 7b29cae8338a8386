/* The physical floor of a scan: read every file once and feed MD5, SHA-1 and SHA-256
 * (OpenSSL EVP), on N threads. pesleuth's full scan is measured against this.
 *
 * By default the three digests are fed 64 bytes of each in turn, the fastest way we know to
 * feed OpenSSL on this kind of core (MD5's dependency chain leaves room for the SHA
 * instructions; lib/pass.c does the same); -q feeds each the whole buffer one after the other,
 * the floor of the first benchmarks.
 *
 * usage: floor [-t THREADS] [-b BUFSIZE] [-q] < list-of-paths
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char **paths;
static size_t n_paths, next_path;
static size_t bufsize = 1 << 20;
static int sequential;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long total_bytes;

static void *worker(void *arg)
{
	(void)arg;
	unsigned char *buf = malloc(bufsize);
	EVP_MD_CTX *ctx[3] = {EVP_MD_CTX_new(), EVP_MD_CTX_new(), EVP_MD_CTX_new()};
	const EVP_MD *md[3] = {EVP_md5(), EVP_sha1(), EVP_sha256()};
	unsigned long long bytes = 0;
	for (;;) {
		pthread_mutex_lock(&lock);
		size_t i = next_path++;
		pthread_mutex_unlock(&lock);
		if (i >= n_paths)
			break;
		int fd = open(paths[i], O_RDONLY);
		if (fd < 0)
			continue;
		for (int k = 0; k < 3; k++)
			EVP_DigestInit_ex(ctx[k], md[k], NULL);
		ssize_t r;
		while ((r = read(fd, buf, bufsize)) > 0) {
			if (sequential) {
				for (int k = 0; k < 3; k++)
					EVP_DigestUpdate(ctx[k], buf, (size_t)r);
			} else {
				for (size_t o = 0; o < (size_t)r; o += 64) {
					size_t c = (size_t)r - o < 64 ? (size_t)r - o : 64;
					for (int k = 0; k < 3; k++)
						EVP_DigestUpdate(ctx[k], buf + o, c);
				}
			}
			bytes += (unsigned long long)r;
		}
		close(fd);
		unsigned char out[64];
		unsigned int len;
		for (int k = 0; k < 3; k++)
			EVP_DigestFinal_ex(ctx[k], out, &len);
	}
	for (int k = 0; k < 3; k++)
		EVP_MD_CTX_free(ctx[k]);
	free(buf);
	pthread_mutex_lock(&lock);
	total_bytes += bytes;
	pthread_mutex_unlock(&lock);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = 1, opt;
	while ((opt = getopt(argc, argv, "t:b:q")) != -1) {
		if (opt == 't')
			threads = atoi(optarg);
		else if (opt == 'b')
			bufsize = (size_t)atol(optarg);
		else if (opt == 'q')
			sequential = 1;
		else {
			fprintf(stderr, "usage: floor [-t THREADS] [-b BUFSIZE] [-q] < paths\n");
			return 2;
		}
	}
	if (threads < 1 || threads > 256 || bufsize < 4096)
		return 2;
	size_t cap = 1024;
	paths = malloc(cap * sizeof(*paths));
	char *line = NULL;
	size_t lcap = 0;
	ssize_t ll;
	while ((ll = getline(&line, &lcap, stdin)) > 0) {
		if (line[ll - 1] == '\n')
			line[ll - 1] = 0;
		if (n_paths == cap)
			paths = realloc(paths, (cap *= 2) * sizeof(*paths));
		paths[n_paths++] = strdup(line);
	}
	free(line);
	pthread_t *t = calloc((size_t)threads, sizeof(*t));
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	fprintf(stderr, "floor: %zu files, %llu bytes, %d threads\n", n_paths, total_bytes, threads);
	return 0;
}
