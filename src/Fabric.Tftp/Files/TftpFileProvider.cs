using System.Buffers;
using System.Net;
using Fabric.Core.Files;
using Fabric.Tftp.Commands;
using Fabric.Tftp.Transfer;

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
/// A disk file asked for in netascii mode is converted once per file version, on the thread pool, and the
/// conversion is kept in the same cache: a thousand requests for it share one copy, and the thread that reads
/// requests never waits for a conversion.
/// </summary>
internal sealed class TftpFileProvider
{
    /// <summary>Prefix of the cache keys of netascii conversions; a normalised path never contains NUL.</summary>
    private const string NetAsciiKey = "\0netascii/";

    private readonly string _root;
    private readonly TftpFileCache _cache;
    private readonly ITftpVirtualFiles? _virtualFiles;
    private readonly long _maxNetasciiBytes;

    public TftpFileProvider(string root, TftpFileCache cache, ITftpVirtualFiles? virtualFiles, long maxNetasciiBytes = 16L << 20)
    {
        _root = InsideFolder.Canonical(root) ?? Path.GetFullPath(root).TrimEnd('/');
        _cache = cache;
        _virtualFiles = virtualFiles;
        _maxNetasciiBytes = maxNetasciiBytes;
    }

    public string Root => _root;

    public TftpFileCache Cache => _cache;

    public ValueTask<TftpOpenResult> OpenAsync(string requested, IPEndPoint client, CancellationToken cancellationToken) =>
        OpenAsync(requested, client, TftpMode.Octet, cancellationToken);

    /// <summary>The content to send for a request in <paramref name="mode"/> (netascii content is already converted).</summary>
    public async ValueTask<TftpOpenResult> OpenAsync(string requested, IPEndPoint client, TftpMode mode, CancellationToken cancellationToken)
    {
        if (!TftpPathNormalizer.TryNormalize(requested, out var path, out var error))
        {
            return TftpOpenResult.Fail(error.Code, error.Message);
        }

        bool netascii = mode == TftpMode.NetAscii;
        if (_virtualFiles is not null)
        {
            var file = await _virtualFiles.OpenAsync(path.Relative, client, cancellationToken).ConfigureAwait(false);
            if (file is not null)
            {
                if (file.Error is { } code)
                {
                    return TftpOpenResult.Fail(code, file.Message);
                }

                if (!netascii)
                {
                    return TftpOpenResult.Ok(new MemoryContent(file.Content));
                }

                // Rendered per request and small (boot configurations): converted here.
                return file.Content.Length > _maxNetasciiBytes
                    ? TooLargeForNetAscii()
                    : TftpOpenResult.Ok(new MemoryContent(NetAscii.Encode(file.Content.Span)));
            }
        }

        var opened = OpenDisk(path, out var modified);
        if (!netascii || opened.Content is not { } content)
        {
            return opened;
        }

        try
        {
            if (content.Length > _maxNetasciiBytes)
            {
                return TooLargeForNetAscii();
            }

            // The conversion is at most twice the file (every byte a line end); that bound is what it costs the cache.
            long cost = 2 * content.Length;
            var encoded = _cache.Accepts(cost)
                ? await _cache.GetOrLoadAsync(NetAsciiKey + path.Relative, content.Length, modified, cost, () => EncodeNetAscii(content)).ConfigureAwait(false)
                : await Task.Run(() => EncodeNetAscii(content), CancellationToken.None).ConfigureAwait(false);
            return TftpOpenResult.Ok(new MemoryContent(encoded));
        }
        catch (IOException)
        {
            return TftpOpenResult.Fail(TftpErrorCode.NotDefined, "read error");
        }
        finally
        {
            content.Dispose();
        }
    }

    private static TftpOpenResult TooLargeForNetAscii() => TftpOpenResult.Fail(TftpErrorCode.NotDefined, "file too large for netascii");

    /// <summary>The netascii form of <paramref name="content"/>, read in chunks (no second copy of the file).</summary>
    private static byte[] EncodeNetAscii(ITftpContent content)
    {
        var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long encodedLength = 0;
            for (long offset = 0; offset < content.Length;)
            {
                int read = ReadChunk(content, offset, chunk);
                encodedLength += NetAscii.EncodedLength(chunk.AsSpan(0, read));
                offset += read;
            }

            var encoded = GC.AllocateUninitializedArray<byte>(checked((int)encodedLength));
            int written = 0;
            for (long offset = 0; offset < content.Length;)
            {
                int read = ReadChunk(content, offset, chunk);
                var source = chunk.AsSpan(0, read);
                if (NetAscii.EncodedLength(source) > encoded.Length - written)
                {
                    throw new IOException("file changed while being converted");
                }

                written += NetAscii.EncodeTo(source, encoded.AsSpan(written));
                offset += read;
            }

            return written == encoded.Length ? encoded : throw new IOException("file changed while being converted");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static int ReadChunk(ITftpContent content, long offset, byte[] chunk)
    {
        int read = content.Read(offset, chunk.AsSpan(0, (int)Math.Min(chunk.Length, content.Length - offset)));
        return read > 0 ? read : throw new IOException("file shrank while being read");
    }

    private TftpOpenResult OpenDisk(TftpPath path, out DateTime modified)
    {
        modified = default;
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
            modified = File.GetLastWriteTimeUtc(handle);
            if (!_cache.Accepts(length))
            {
                return TftpOpenResult.Ok(new FileHandleContent(handle, length));
            }

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
