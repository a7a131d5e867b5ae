using Fabric.Core.Files;

namespace Fabric.Appliance.Boot;

/// <summary>Resolves a request path inside a root folder by the rule TFTP shares (<see cref="InsideFolder"/>): symbolic
/// links are followed and anything whose real location is outside the root (<c>..</c>, links leading out) is refused.</summary>
public static class SafePath
{
    public static bool TryResolve(string root, string relative, out string fullPath)
    {
        fullPath = "";
        return InsideFolder.Canonical(root) is { } realRoot
            && InsideFolder.Resolve(realRoot, relative, out fullPath) == InsideFolderResult.Found;
    }
}
