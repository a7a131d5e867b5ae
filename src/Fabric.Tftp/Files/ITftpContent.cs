using Microsoft.Win32.SafeHandles;

namespace Fabric.Tftp.Files;

/// <summary>The bytes one transfer serves: random access so a window can be resent from any block.</summary>
internal interface ITftpContent : IDisposable
{
    long Length { get; }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; returns the bytes read.</summary>
    int Read(long offset, Span<byte> destination);
}

/// <summary>Content held in memory (a cached file, a rendered virtual file, a netascii conversion).</summary>
internal sealed class MemoryContent(ReadOnlyMemory<byte> bytes) : ITftpContent
{
    public long Length => bytes.Length;

    public int Read(long offset, Span<byte> destination)
    {
        if (offset >= bytes.Length)
        {
            return 0;
        }

        var source = bytes.Span[(int)offset..];
        int count = Math.Min(source.Length, destination.Length);
        source[..count].CopyTo(destination);
        return count;
    }

    public void Dispose()
    {
    }
}

/// <summary>Content read from an open file with pread: served from the page cache, no per-transfer copy of the file.</summary>
internal sealed class FileHandleContent(SafeFileHandle handle, long length) : ITftpContent
{
    public long Length => length;

    public int Read(long offset, Span<byte> destination)
    {
        int total = 0;
        while (total < destination.Length && offset + total < length)
        {
            int read = RandomAccess.Read(handle, destination[total..], offset + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    public void Dispose() => handle.Dispose();
}
