using System.Text;
using Fabric.Tftp.Commands;

namespace Fabric.Tftp.Files;

/// <summary>A requested name after normalisation: a relative path with '/' separators.</summary>
/// <param name="Relative">Segments joined by '/', never empty, never containing "." or "..".</param>
/// <param name="WasAbsolute">The client asked with a leading '/': it only resolves inside the root.</param>
public readonly record struct TftpPath(string Relative, bool WasAbsolute);

/// <summary>
/// Turns a requested file name into a path relative to the root, or refuses it with error 2 (access
/// violation). Backslashes count as separators (PXE clients of Windows servers send them); empty and "."
/// segments are dropped; any segment made only of dots ("..", "...", "....") is refused, so "../",
/// "..\" and "....//" never climb; control characters (NUL included) and '%' (percent-encoding is never
/// decoded, so it can only be an attempt to smuggle one of these) are refused; drive letters are refused.
/// </summary>
public static class TftpPathNormalizer
{
    public static bool TryNormalize(string requested, out TftpPath path, out TftpParseError error)
    {
        path = default;
        error = new TftpParseError(TftpErrorCode.AccessViolation, "access violation");
        if (string.IsNullOrEmpty(requested))
        {
            return false;
        }

        foreach (char c in requested)
        {
            if (char.IsControl(c) || c == '%')
            {
                return false;
            }
        }

        string name = requested.Replace('\\', '/');
        if (name.Length >= 2 && name[1] == ':' && char.IsAsciiLetter(name[0]))
        {
            return false;
        }

        bool absolute = name[0] == '/';
        var builder = new StringBuilder(name.Length);
        foreach (var segment in name.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }

            if (segment.AsSpan().IndexOfAnyExcept('.') < 0)
            {
                return false;
            }

            if (builder.Length > 0)
            {
                builder.Append('/');
            }

            builder.Append(segment);
        }

        if (builder.Length == 0)
        {
            return false;
        }

        path = new TftpPath(builder.ToString(), absolute);
        error = default;
        return true;
    }
}
