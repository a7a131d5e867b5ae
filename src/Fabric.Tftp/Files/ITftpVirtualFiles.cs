using System.Net;

namespace Fabric.Tftp.Files;

/// <summary>
/// Files that do not live on disk but are rendered per request (e.g. <c>pxelinux.cfg/01-&lt;mac&gt;</c>,
/// <c>grub/grub.cfg-&lt;mac&gt;</c>). The server consults it before the disk, with the normalised path and the
/// client's endpoint, so an implementation can refuse to give one node's secrets to another.
/// </summary>
public interface ITftpVirtualFiles
{
    /// <summary>Null when <paramref name="path"/> is not a virtual file (the server then tries the disk).</summary>
    ValueTask<TftpVirtualFile?> OpenAsync(string path, IPEndPoint client, CancellationToken cancellationToken);
}

/// <summary>The answer of <see cref="ITftpVirtualFiles"/>: content, or a refusal.</summary>
public sealed class TftpVirtualFile
{
    private TftpVirtualFile(ReadOnlyMemory<byte> content, Commands.TftpErrorCode? error, string message)
    {
        Content = content;
        Error = error;
        Message = message;
    }

    public ReadOnlyMemory<byte> Content { get; }

    /// <summary>Set when the request is refused.</summary>
    public Commands.TftpErrorCode? Error { get; }

    public string Message { get; }

    public static TftpVirtualFile FromContent(ReadOnlyMemory<byte> content) => new(content, null, "");

    /// <summary>Refused with error 2: the file exists but not for this client.</summary>
    public static TftpVirtualFile Denied(string message = "access violation") => new(default, Commands.TftpErrorCode.AccessViolation, message);

    public static TftpVirtualFile NotFound(string message = "file not found") => new(default, Commands.TftpErrorCode.FileNotFound, message);
}
