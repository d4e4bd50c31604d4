package io.tailwatch.flink.testing;

import java.net.URI;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.FileSystemFactory;
import org.apache.flink.core.fs.local.LocalFileSystem;

/**
 * A filesystem plugin for the scheme {@value #SCHEME}, found by Flink through the service loader as
 * s3 or hdfs plugins are: {@code tailwatch-test://bucket/some/path} is the local file {@code
 * /some/path}. It lets tests show that claim checks go through Flink's {@link FileSystem} (scheme,
 * authority and all) and not through java.nio.
 */
public final class TestSchemeFileSystemFactory implements FileSystemFactory {
  public static final String SCHEME = "tailwatch-test";

  /** The URI of a local absolute path under the test scheme and a bucket. */
  public static String uri(String bucket, java.nio.file.Path local) {
    return SCHEME + "://" + bucket + local.toAbsolutePath().toUri().getRawPath();
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public FileSystem create(URI fsUri) {
    // LocalFileSystem reads a path's URI path component, whatever its scheme and authority
    return LocalFileSystem.getSharedInstance();
  }
}
