using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Fabric.Core;
using Scriban;
using Scriban.Runtime;

namespace Fabric.Storage.Nfs;

/// <summary>One NFSv4 export of a storage node. <see cref="Pseudo"/> is the path itself, so <c>nfs:SERVER:PATH</c> mounts it.</summary>
/// <param name="ExportId">Ganesha's <c>Export_Id</c> (1-65535), from the path: the same on both nodes of a pair.</param>
/// <param name="FilesystemId">Ganesha's <c>Filesystem_id</c>, <c>MAJOR.MINOR</c>, from the path: the same on both nodes.</param>
public sealed record GaneshaExport(int ExportId, string Path, string Pseudo, string FilesystemId);

/// <summary>The nfs-ganesha configuration a storage node should run, rendered from <c>templates/storage/ganesha.conf</c>
/// (compiled into this assembly). Pure: a node in, text out.</summary>
public static class GaneshaConfig
{
    private static readonly Lazy<Template> Parsed = new(() =>
    {
        using var stream = typeof(GaneshaConfig).Assembly.GetManifestResourceStream("Fabric.Storage.templates.ganesha.conf")
            ?? throw new InvalidOperationException("the ganesha.conf template is not in the assembly");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var template = Template.Parse(reader.ReadToEnd(), "templates/storage/ganesha.conf");
        return template.HasErrors ? throw new InvalidOperationException(string.Join("; ", template.Messages)) : template;
    });

    /// <summary>The characters an export path may have in the configuration: anything else (a quote, a semicolon, a space,
    /// a newline) could change the configuration's meaning, so such a path is refused rather than escaped.</summary>
    public static bool IsSafePath(string path) =>
        path.Length > 1 && path[0] == '/' && path.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '+' or '@' or ',' or ':' or '=')
        && !path.Split('/').Any(part => part is "." or "..");

    /// <summary>The exports of <paramref name="node"/>, by path. Export ids are the path's hash, the next free one on a
    /// collision (in path order, so both nodes of a pair with the same exports get the same ids).</summary>
    public static IReadOnlyList<GaneshaExport> ExportsOf(Node node)
    {
        var paths = (node.Storage?.NfsExports ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var unsafePaths = paths.Where(p => !IsSafePath(p)).ToList();
        if (unsafePaths.Count > 0)
        {
            throw new ArgumentException($"nfsExports: {string.Join(", ", unsafePaths.Select(p => $"'{p}'"))} cannot be put in a ganesha configuration (letters, digits and /._-+@,:= only)");
        }

        var used = new HashSet<int>();
        var exports = new List<GaneshaExport>();
        foreach (var path in paths)
        {
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes(path));
            int id = 1 + (BinaryPrimitives.ReadUInt16BigEndian(hash.AsSpan(8)) % 65535);
            while (!used.Add(id))
            {
                id = id % 65535 + 1;
            }

            exports.Add(new GaneshaExport(id, path, path, FilesystemIdOf(path)));
        }

        return exports;
    }

    /// <summary><c>MAJOR.MINOR</c>: the first two big-endian 32-bit words of the SHA-256 of the path's UTF-8 bytes.</summary>
    public static string FilesystemIdOf(string path)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(path));
        return string.Create(CultureInfo.InvariantCulture, $"{BinaryPrimitives.ReadUInt32BigEndian(hash)}.{BinaryPrimitives.ReadUInt32BigEndian(hash.AsSpan(4))}");
    }

    /// <summary>The configuration for <paramref name="node"/>, or null when it has no NFS exports (then ganesha should not run).
    /// <paramref name="runFolder"/> holds ganesha's recovery folder (<c>/run/fabric</c> on a node).</summary>
    public static string? Render(Node node, string runFolder)
    {
        var exports = ExportsOf(node);
        if (exports.Count == 0)
        {
            return null;
        }

        var model = new ScriptObject(StringComparer.Ordinal)
        {
            ["node"] = node.Name,
            ["pair"] = node.Storage?.Pair ?? "",
            ["run_dir"] = runFolder,
        };
        var list = new ScriptArray();
        foreach (var export in exports)
        {
            list.Add(new ScriptObject(StringComparer.Ordinal)
            {
                ["export_id"] = export.ExportId.ToString(CultureInfo.InvariantCulture),
                ["path"] = export.Path,
                ["pseudo"] = export.Pseudo,
                ["filesystem_id"] = export.FilesystemId,
            });
        }

        model["exports"] = list;
        var context = new TemplateContext { StrictVariables = true, MemberRenamer = m => m.Name };
        context.PushGlobal(model);
        // One newline at the end, as the node's copy reads back over SSH: comparing the two then finds no change.
        return Parsed.Value.Render(context).TrimEnd('\n') + "\n";
    }
}
