using System.Runtime.InteropServices;

namespace Fabric.Core.Files;

/// <summary>Where a requested path ended up.</summary>
public enum InsideFolderResult
{
    /// <summary>It exists inside the folder.</summary>
    Found,

    /// <summary>It does not exist (or a link in it leads nowhere).</summary>
    Missing,

    /// <summary>It would leave the folder: a <c>..</c> segment, a NUL or backslash, or a link leading out.</summary>
    Outside,
}

/// <summary>
/// "Stay inside this folder": the one rule by which HTTP (<c>/boot/files/</c>) and TFTP serve files from the boot folder.
/// A request is a relative path with '/' separators; it is joined to the folder's canonical path and resolved with every
/// symbolic link followed (realpath(3)), and the result must still lie inside the folder. The only file-system access in
/// this assembly, kept here so both servers share it.
/// </summary>
public static partial class InsideFolder
{
    /// <summary>The folder's canonical path (absolute, every link resolved, no trailing '/'), or null when it does not exist.</summary>
    public static string? Canonical(string folder)
    {
        var real = RealPath(Path.GetFullPath(folder));
        return real is null ? null : real.Length > 1 ? real.TrimEnd('/') : real;
    }

    /// <summary>Resolves <paramref name="relative"/> under <paramref name="canonicalFolder"/> (from <see cref="Canonical"/>).</summary>
    public static InsideFolderResult Resolve(string canonicalFolder, string relative, out string fullPath)
    {
        fullPath = "";
        if (relative.Contains('\0', StringComparison.Ordinal) || relative.Contains('\\', StringComparison.Ordinal))
        {
            return InsideFolderResult.Outside;
        }

        var segments = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s == ".."))
        {
            return InsideFolderResult.Outside;
        }

        if (segments.Length == 0)
        {
            return InsideFolderResult.Missing;
        }

        var real = RealPath(canonicalFolder.TrimEnd('/') + "/" + string.Join('/', segments));
        if (real is null)
        {
            return InsideFolderResult.Missing;
        }

        if (!IsInside(canonicalFolder, real))
        {
            return InsideFolderResult.Outside;
        }

        fullPath = real;
        return InsideFolderResult.Found;
    }

    /// <summary>Whether <paramref name="path"/> lies strictly inside <paramref name="folder"/>, compared by whole path components
    /// (<c>/srv/boot-old</c> is not inside <c>/srv/boot</c>). Both are taken as given: pass canonical paths.</summary>
    public static bool IsInside(string folder, string path)
    {
        var prefix = folder.EndsWith('/') ? folder : folder + "/";
        return path.Length > prefix.Length && path.StartsWith(prefix, StringComparison.Ordinal);
    }

    /// <summary>The canonical path with every symbolic link resolved (realpath(3)); null when it does not exist.</summary>
    public static string? RealPath(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return File.Exists(path) || Directory.Exists(path) ? Path.GetFullPath(path) : null;
        }

        nint resolved = NativeRealPath(path, 0);
        if (resolved == 0)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            NativeFree(resolved);
        }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint NativeRealPath(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void NativeFree(nint pointer);
}
