namespace Fabric.Appliance.Boot;

/// <summary>Resolves a request path inside a root folder, following symbolic links the way the kernel does, and
/// refuses anything whose real location is outside the root (<c>..</c>, absolute paths, links leading out).</summary>
public static class SafePath
{
    private const int MaxLinks = 40;

    public static bool TryResolve(string root, string relative, out string fullPath)
    {
        fullPath = "";
        if (relative.Contains('\0', StringComparison.Ordinal) || relative.Contains('\\', StringComparison.Ordinal))
        {
            return false;
        }

        var realRoot = RealPath(Path.GetFullPath(root));
        if (realRoot is null)
        {
            return false;
        }

        var segments = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s == ".."))
        {
            return false;
        }

        var real = RealPath(Path.Join(realRoot, string.Join('/', segments)));
        if (real is null || !IsInside(realRoot, real))
        {
            return false;
        }

        fullPath = real;
        return true;
    }

    private static bool IsInside(string root, string path) =>
        path == root || path.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal);

    /// <summary>The absolute path with every symbolic link resolved; null on a link loop. Missing components are kept as they are.</summary>
    internal static string? RealPath(string path)
    {
        var pending = new Stack<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var current = "/";
        int links = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }

            var next = Path.Join(current, part);
            string? target = null;
            try
            {
                target = new FileInfo(next).LinkTarget;
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }

            if (target is null)
            {
                current = next;
                continue;
            }

            if (++links > MaxLinks)
            {
                return null;
            }

            if (target.StartsWith('/'))
            {
                current = "/";
            }

            foreach (var t in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                pending.Push(t);
            }
        }

        return current;
    }
}
