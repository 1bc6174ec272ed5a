package engine

// lessonRBAC records the objects EnterLessonNamespace created for the lesson's identity.
type lessonRBAC struct{}
