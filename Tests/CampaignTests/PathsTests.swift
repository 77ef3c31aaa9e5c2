import Testing
@testable import Workspace

@Suite("Path arithmetic")
struct PathsTests {
    @Test(arguments: [
        ("/a/b/c.yaml", "/a/b/c.yaml"), ("/a/./b", "/a/b"), ("/a/../b", "/b"), ("/a//b/", "/a/b"), ("/a/.hidden/x", "/a/.hidden/x"),
        ("/a/.../x", "/a/.../x"), ("/a/b.", "/a/b."), ("/a/..", "/"), ("/", "/"), ("/a/.", "/a"),
    ])
    func absolutePathsAreNormalized(input: String, expected: String) {
        #expect(Paths.absolute(input) == expected)
    }

    @Test func relativePathsJoinTheCurrentDirectory() {
        #expect(Paths.absolute("x/y.yaml") == Paths.currentDirectory + "/x/y.yaml")
        #expect(Paths.absolute("./x/../y") == Paths.currentDirectory + "/y")
        #expect(Paths.parent("a/b.yaml") == "a")
        #expect(Paths.parent("b.yaml") == ".")
        #expect(Paths.lastComponent("a/b.yaml") == "b.yaml")
    }

    @Test(arguments: [
        ("campaigns/promos/a.yaml", "campaigns", "promos/a.yaml"), ("./a.yaml", ".", "a.yaml"), ("/r/a.yaml", "/", "r/a.yaml"),
        ("/x/y/.hidden/a.yaml", "/x/y", ".hidden/a.yaml"), ("c/.../a.yaml", "c", ".../a.yaml"),
        // Anything that would need resolving, or is not below the folder, takes the slow path (nil here).
        ("campaigns/../x/a.yaml", "campaigns", nil), ("campaigns/./a.yaml", "campaigns", nil), ("campaigns//a.yaml", "campaigns", nil),
        ("campaigns-old/a.yaml", "campaigns", nil), ("campaigns", "campaigns", nil), ("campaigns/", "campaigns", nil),
        ("a.yaml", ".", nil), ("campaigns/a/..", "campaigns", nil),
    ] as [(String, String, String?)])
    func remaindersBelowAFolderNeedNoResolving(path: String, folder: String, expected: String?) {
        #expect(Paths.remainder(of: path, below: folder) == expected)
        // Where there is one, it is what the general (absolute) computation gives.
        if let expected {
            let root = Paths.absolute(folder)
            #expect(Paths.absolute(path).hasPrefix(root == "/" ? root : root + "/"))
            #expect(String(Paths.absolute(path).dropFirst(root == "/" ? 1 : root.count + 1)) == expected)
        }
    }
}
