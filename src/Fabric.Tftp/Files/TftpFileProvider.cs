using System.Net;
using Fabric.Core.Files;
using Fabric.Tftp.Commands;

namespace Fabric.Tftp.Files;

/// <summary>The content to serve, or the error to answer.</summary>
internal readonly record struct TftpOpenResult(ITftpContent? Content, TftpErrorCode Code, string Message)
{
    public static TftpOpenResult Ok(ITftpContent content) => new(content, TftpErrorCode.NotDefined, "");

    public static TftpOpenResult Fail(TftpErrorCode code, string message) => new(null, code, message);
}

/// <summary>
/// Opens requested files: virtual files first, then the disk under the root. Every disk path is resolved with
/// all symbolic links followed and must still lie inside the root (error 2 otherwise). Small files come from
/// <see cref="TftpFileCache"/>; larger ones are read with pread from an open handle (the page cache).
/// </summary>
internal sealed class TftpFileProvider
{
    private readonly string _root;
    private readonly TftpFileCache _cache;
    private readonly ITftpVirtualFiles? _virtualFiles;

    public TftpFileProvider(string root, TftpFileCache cache, ITftpVirtualFiles? virtualFiles)
    {
        _root = InsideFolder.Canonical(root) ?? Path.GetFullPath(root).TrimEnd('/');
        _cache = cache;
        _virtualFiles = virtualFiles;
    }

    public string Root => _root;

    public TftpFileCache Cache => _cache;

    public async ValueTask<TftpOpenResult> OpenAsync(string requested, IPEndPoint client, CancellationToken cancellationToken)
    {
        if (!TftpPathNormalizer.TryNormalize(requested, out var path, out var error))
        {
            return TftpOpenResult.Fail(error.Code, error.Message);
        }

        if (_virtualFiles is not null)
        {
            var file = await _virtualFiles.OpenAsync(path.Relative, client, cancellationToken).ConfigureAwait(false);
            if (file is not null)
            {
                return file.Error is { } code
                    ? TftpOpenResult.Fail(code, file.Message)
                    : TftpOpenResult.Ok(new MemoryContent(file.Content));
            }
        }

        return OpenDisk(path);
    }

    private TftpOpenResult OpenDisk(TftpPath path)
    {
        var notFound = path.WasAbsolute
            ? TftpOpenResult.Fail(TftpErrorCode.AccessViolation, "access violation")
            : TftpOpenResult.Fail(TftpErrorCode.FileNotFound, "file not found");
        switch (InsideFolder.Resolve(_root, path.Relative, out var real))
        {
            case InsideFolderResult.Missing:
                return notFound;
            case InsideFolderResult.Outside:
                return TftpOpenResult.Fail(TftpErrorCode.AccessViolation, "access violation");
        }

        if (Directory.Exists(real))
        {
            return notFound;
        }

        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(real, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return notFound;
        }
        catch (UnauthorizedAccessException)
        {
            return TftpOpenResult.Fail(TftpErrorCode.AccessViolation, "access violation");
        }
        catch (IOException)
        {
            return TftpOpenResult.Fail(TftpErrorCode.NotDefined, "cannot open file");
        }

        try
        {
            long length = RandomAccess.GetLength(handle);
            if (!_cache.Accepts(length))
            {
                return TftpOpenResult.Ok(new FileHandleContent(handle, length));
            }

            var modified = File.GetLastWriteTimeUtc(handle);
            var bytes = _cache.GetOrLoad(path.Relative, length, modified, () => ReadAll(handle, length));
            handle.Dispose();
            return TftpOpenResult.Ok(new MemoryContent(bytes));
        }
        catch (IOException)
        {
            handle.Dispose();
            return TftpOpenResult.Fail(TftpErrorCode.NotDefined, "read error");
        }
    }

    private static byte[] ReadAll(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long length)
    {
        var bytes = GC.AllocateUninitializedArray<byte>((int)length);
        int total = 0;
        while (total < bytes.Length)
        {
            int read = RandomAccess.Read(handle, bytes.AsSpan(total), total);
            if (read == 0)
            {
                throw new IOException("file shrank while being read");
            }

            total += read;
        }

        return bytes;
    }
}
